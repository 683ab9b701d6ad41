#!/usr/bin/env bash
# Installs everything Gantry needs on a fresh Debian 12 machine (run as root), then builds the
# Native AOT `gantry` binary and puts it on PATH at /usr/local/bin/gantry.
# Idempotent: a second run only rebuilds gantry.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

packages=(crun runc busybox-static libdeflate0 docker-registry skopeo umoci mmdebstrap apache2-utils iproute2 iptables jq ca-certificates tini)
packages+=(openssh-client git buildah podman)  # gantry build: RUN --mount=type=ssh (ssh-agent), ADD from git, the buildah/podman cross-check tests
packages+=(docker.io)  # docker load/save interop tests (a private dockerd, tests/Gantry.Cli.Tests/Images/DockerInteropTests.cs)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's docker-registry package starts a system service on :5000; Gantry's tests start their own.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi
pkill -f '^/usr/bin/docker-registry serve /etc/docker/registry/config.yml' 2>/dev/null || true

if ! command -v dotnet >/dev/null 2>&1; then
  echo "install-deps: the .NET 10 SDK is required (dotnet on PATH)" >&2
  exit 1
fi

echo "install-deps: publishing gantry (Native AOT)"
dotnet publish "$here/src/Gantry.Cli/Gantry.Cli.csproj" -c Release -r linux-x64 -o "$here/out/gantry" -nologo -v quiet >/dev/null
install -m 0755 "$here/out/gantry/gantry" /usr/local/bin/gantry
echo "install-deps: $(/usr/local/bin/gantry version | head -n 2 | tail -n 1 | xargs)"
