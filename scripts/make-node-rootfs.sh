#!/usr/bin/env bash
# Makes (once, cached) a reproducible rootfs tarball of Debian bookworm minbase + nodejs + npm with mmdebstrap,
# used as the offline stand-in for Docker Hub's `node` images (tests, the tutorials suite, benchmarks).
# Prints the path of the tarball. The cache key is a hash of this recipe; GANTRY_CACHE overrides the cache dir.
# The host's extra CA certificates (a TLS-intercepting proxy) are copied in so `RUN npm install` works behind it.
set -euo pipefail
cache="${GANTRY_CACHE:-/var/tmp/gantry-cache}"
recipe_hash=$(sha256sum "$0" | cut -c1-12)
out="$cache/node-rootfs-$recipe_hash.tar"
if [ -s "$out" ]; then echo "$out"; exit 0; fi
mkdir -p "$cache"
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
work=$(mktemp -d "$cache/node-rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "make-node-rootfs: mmdebstrap bookworm + nodejs npm (takes a few minutes, cached afterwards)" >&2
SOURCE_DATE_EPOCH=1700000000 mmdebstrap --quiet --mode=root --variant=minbase --include=nodejs,npm,ca-certificates \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook='for c in /usr/local/share/ca-certificates/*.crt; do [ ! -e "$c" ] || cp "$c" "$1/usr/local/share/ca-certificates/"; done; chroot "$1" update-ca-certificates >/dev/null 2>&1' \
  --customize-hook='rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/log/apt "$1"/var/log/dpkg.log "$1"/var/log/alternatives.log "$1"/var/cache/debconf/*-old' \
  --format=directory bookworm "$work/rootfs" "$mirror" >&2
rm -rf "$work/rootfs/dev"/*
tar --xattrs --xattrs-include=security.capability --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$work/rootfs" -cf "$work/rootfs.tar" .
mv "$work/rootfs.tar" "$out"
echo "$out"
