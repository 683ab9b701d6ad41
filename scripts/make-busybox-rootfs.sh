#!/usr/bin/env bash
# Makes (once, cached) a reproducible busybox rootfs tarball from Debian's busybox-static: /bin/busybox plus applet
# symlinks, /etc/passwd (root, user 1000, nobody), /etc/group, /tmp 1777. Prints the path of the tarball.
set -euo pipefail
cache="${GANTRY_CACHE:-/var/tmp/gantry-cache}"
bb=/bin/busybox
[ -x "$bb" ] || { echo "make-busybox-rootfs: /bin/busybox missing: apt-get install busybox-static" >&2; exit 1; }
key=$( (sha256sum "$0" "$bb") | sha256sum | cut -c1-12)
out="$cache/busybox-rootfs-$key.tar"
if [ -s "$out" ]; then echo "$out"; exit 0; fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/busybox-rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
r="$work/rootfs"
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home,proc,sys,dev,var}
cp "$bb" "$r/bin/busybox"; chmod 0755 "$r/bin/busybox"
for a in $("$bb" --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$r/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n' > "$r/etc/group"
chmod 1777 "$r/tmp"
tar --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$r" -cf "$work/rootfs.tar" .
mv "$work/rootfs.tar" "$out"
echo "$out"
