#!/usr/bin/env bash
# Gantry's main job, offline: make a busybox base image from Debian's busybox-static, build an example image
# from a Dockerfile (examples/hello) twice — the second build is fully CACHED — list it, and run it.
# Uses the store at $GANTRY_ROOT (default /var/lib/gantry). Run scripts/install-deps.sh first.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
gantry=${GANTRY_BIN:-gantry}
tar=$("$here/scripts/make-busybox-rootfs.sh")

echo "+ gantry import $tar busybox:latest"
"$gantry" import "$tar" busybox:latest
cd "$here/examples/hello"
echo "+ gantry build --tag hello-gantry ."
"$gantry" build --tag hello-gantry .
echo "+ gantry build --tag hello-gantry .   (unchanged: every step CACHED)"
"$gantry" build --tag hello-gantry .
echo "+ gantry images"
"$gantry" images
echo "+ gantry run --rm hello-gantry"
"$gantry" run --rm hello-gantry
