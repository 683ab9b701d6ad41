# shellcheck shell=bash
# Owns: shared helpers of bench/run.sh — logging, apt installs, PID-file process control, the hybrid-cgroup fix,
# loopback docker-registry instances, base images, build contexts and the timed-step recorder. Source, don't run.

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
# Everything generated (stores, contexts, registry storage, logs) lives here, outside the git tree.
STATE="${BENCH_STATE:-/var/tmp/gantry-bench}"
REG_ADDR=127.0.0.1:5000          # the loopback registry of the build/push/pull steps (Debian's docker-registry)
MTIME=1700000000

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

apt_need() {   # apt_need PKG... : installs only what is missing (apt-get update once)
    local missing=() p
    for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "apt-get install ${missing[*]}"
    [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
    # policy-rc.d (if present) keeps docker.io's dockerd and docker-registry's service from starting on install
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

stop_pidfile() {   # stop_pidfile FILE [TENTHS] : TERM the recorded PID, wait (default 15 s), then KILL
    local f="$1" n="${2:-150}" pid i
    [ -f "$f" ] || return 0
    pid="$(cat "$f")"
    if alive "$pid"; then
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 "$n"); do alive "$pid" || break; sleep 0.1; done
        alive "$pid" && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
}

# crun 1.8 refuses to run on a hybrid cgroup host while the unified hierarchy holds a controller (here: hugetlb).
fix_hybrid_cgroups() {
    local u=/sys/fs/cgroup/unified/cgroup.controllers c
    [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = tmpfs ] && [ -s "$u" ] || return 0
    for c in $(cat "$u"); do
        mkdir -p "/sys/fs/cgroup/$c"
        mountpoint -q "/sys/fs/cgroup/$c" || mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" || log "WARNING: cannot mount cgroup $c (crun will fail)"
    done
}

# Deleting a store does not happen between timed steps: umount_rm moves it into $STATE/trash, and settle_fs empties the
# trash only when the disk runs short, then waits. Why: on ext4 without a journal (this VM's root filesystem) the inode
# allocator skips, one by one in every allocation, the inodes freed in the last 60 s, or 360 s while their inode-table
# block is dirty (find_inode_bit -> recently_deleted). A `sync` does not end that: the first new inode put into such a
# block dirties it again, so its freed neighbours count as recent for 360 s. A tool that unpacks 35,000 files after
# another tool's store was deleted spends seconds in the kernel, a cost of the bench's order, not of the tool. Measured
# by hand: the node image pull with unpack 2.5-2.7 s with no delete before it, 10.7 s 65 s after a delete (the old
# settle time), 14.5 s 150 s after. So the trash is kept while the disk has room, and emptied (then a wait of
# BENCH_SETTLE, default 370 s) only when less than BENCH_MIN_FREE_GB (default 25) GB are free, or when asked (`always`).
TRASH="$STATE/trash"

umount_rm() {   # umount everything below DIR (deepest first), then move it to the trash (retries: podman's cleanup may still run)
    local d="$1" m i
    mkdir -p "$TRASH"
    for i in 1 2 3 4 5; do
        [ -e "$d" ] || return 0
        findmnt -rn -o TARGET | awk -v p="$d/" 'index($0 "/", p) == 1' | sort -r | while read -r m; do
            umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
        done
        mv "$d" "$(mktemp -u "$TRASH/t.XXXXXXXX")" 2>/dev/null && return 0
        rm -rf "$d" 2>/dev/null && return 0
        sleep 1
    done
    log "WARNING: could not remove $d"
}

free_gb() { df -P -B1G "$STATE" | awk 'NR == 2 {print $4}'; }

settle_fs() {   # settle_fs [always] : flush; empty the trash (and wait BENCH_SETTLE s) only when the disk runs short or asked
    local n="${BENCH_SETTLE:-370}" min="${BENCH_MIN_FREE_GB:-25}"
    sync
    [ -d "$TRASH" ] && [ -n "$(ls -A "$TRASH" 2>/dev/null)" ] || return 0
    [ "${1:-}" = always ] || [ "$(free_gb)" -lt "$min" ] || return 0
    log "settle: $(free_gb) GB free, deleting the trash ($(du -sh "$TRASH" 2>/dev/null | cut -f1))"
    rm -rf "${TRASH:?}"/* 2>/dev/null || true
    sync
    [ "$n" -gt 0 ] && { log "settle: waiting ${n} s for the filesystem (see common.sh)"; sleep "$n"; }
    sync
}

http_up() { curl -s -o /dev/null --max-time 2 "http://$1/v2/"; }

# distribution_start NAME ADDR STORAGE_DIR : Debian's docker-registry on ADDR (PID in $STATE/pids/NAME.pid)
distribution_start() {
    local name="$1" addr="$2" dir="$3" cfg="$STATE/pids/$1.yml" i
    mkdir -p "$STATE/pids" "$dir"
    stop_pidfile "$STATE/pids/$name.pid"
    http_up "$addr" && die "something else answers on $addr"
    cat > "$cfg" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $dir}
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory}
http: {addr: "$addr", secret: gantry-bench}
EOF
    /usr/bin/docker-registry serve "$cfg" > "$STATE/logs/$name.log" 2>&1 &
    echo $! > "$STATE/pids/$name.pid"; disown
    for i in $(seq 1 100); do http_up "$addr" && return 0; sleep 0.1; done
    die "docker-registry $name did not start on $addr (see $STATE/logs/$name.log)"
}

# gantry_registry_start NAME ADDR ROOT : `gantry registry serve` on ADDR
gantry_registry_start() {
    local name="$1" addr="$2" dir="$3" i
    mkdir -p "$STATE/pids" "$dir"
    stop_pidfile "$STATE/pids/$name.pid"
    http_up "$addr" && die "something else answers on $addr"
    "$GANTRY" registry serve --root "$dir" --addr "$addr" --no-access-log --gc-interval 0 > "$STATE/logs/$name.log" 2>&1 &
    echo $! > "$STATE/pids/$name.pid"; disown
    for i in $(seq 1 100); do http_up "$addr" && return 0; sleep 0.1; done
    die "gantry registry $name did not start on $addr (see $STATE/logs/$name.log)"
}

# The build/push/pull registry holds the two base images; `reset_registry` gives it back exactly that content
# (hard-linked copy of a template storage) so every push starts from the same registry state.
reset_registry() {
    stop_pidfile "$STATE/pids/main.pid"
    umount_rm "$STATE/registry/live"
    cp -al "$STATE/registry/template" "$STATE/registry/live"
    distribution_start main "$REG_ADDR" "$STATE/registry/live"
}

# oci_from_tar TAR LAYOUT TAG CMD_JSON : one-layer OCI image made by umoci (cached by the tar's path and size)
oci_from_tar() {
    local tar="$1" layout="$2" tag="$3" cmd="$4" stamp
    stamp="$(basename "$tar") $(stat -c %s "$tar")"
    if [ "$(cat "$layout.stamp" 2>/dev/null)" = "$stamp" ]; then return 0; fi
    rm -rf "$layout"
    umoci init --layout "$layout"
    umoci new --image "$layout:$tag"
    umoci raw add-layer --image "$layout:$tag" "$tar"
    umoci config --image "$layout:$tag" --os linux --architecture amd64 --config.cmd "$cmd" \
        --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    echo "$stamp" > "$layout.stamp"
}

setup_bases() {   # base rootfs tars (the project's cached recipes) -> OCI layouts -> template registry storage
    local bb node
    bb="$("$REPO_DIR/scripts/make-busybox-rootfs.sh")"
    node="$("$REPO_DIR/scripts/make-node-rootfs.sh")"
    BUSYBOX_TAR="$bb"; NODE_TAR="$node"
    log "base images: busybox from $bb, node from $node (umoci, cached)"
    oci_from_tar "$bb" "$STATE/base/busybox-oci" latest sh
    oci_from_tar "$node" "$STATE/base/node-oci" bookworm node
    if [ "$(cat "$STATE/registry/template.stamp" 2>/dev/null)" != "$(cat "$STATE/base/busybox-oci.stamp" "$STATE/base/node-oci.stamp")" ]; then
        rm -rf "$STATE/registry/template"; mkdir -p "$STATE/registry/template"
        distribution_start main "$REG_ADDR" "$STATE/registry/template"
        skopeo copy -q --dest-tls-verify=false "oci:$STATE/base/busybox-oci:latest" "docker://$REG_ADDR/bench/busybox:latest"
        skopeo copy -q --dest-tls-verify=false "oci:$STATE/base/node-oci:bookworm" "docker://$REG_ADDR/bench/node:bookworm"
        stop_pidfile "$STATE/pids/main.pid"
        cat "$STATE/base/busybox-oci.stamp" "$STATE/base/node-oci.stamp" > "$STATE/registry/template.stamp"
    fi
    reset_registry
}

setup_contexts() {   # build contexts: the workload files plus generated data (cached per generator + scale)
    local w name ctx stamp
    for w in "$BENCH_DIR"/workloads/*/; do
        name="$(basename "$w")"; ctx="$STATE/contexts/$name"
        mkdir -p "$ctx"
        find "$w" -maxdepth 1 -type f ! -name edit -exec cp -p {} "$ctx/" \;
        stamp="$(sha256sum "$BENCH_DIR/lib/gen.py" | cut -c1-16) $SCALE"
        case "$name" in
            w1-*|w2-*)
                if [ "$(cat "$ctx.stamp" 2>/dev/null)" != "$stamp" ]; then
                    rm -rf "$ctx/src" "$ctx/scratch" "$ctx/big.bin" "$ctx/small.txt"
                    python3 "$BENCH_DIR/lib/gen.py" "${name%%-*}" "$ctx" "$SCALE" >&2
                    echo "$stamp" > "$ctx.stamp"
                fi ;;
        esac
    done
}

# record TOOL WORKLOAD STEP REP cmd... : run one timed step; append a row to $RAW; keep the output in $STATE/logs.
# Columns: tool workload step rep seconds peak_rss_mb rc. Wall time from bash's $EPOCHREALTIME around the command; peak RSS is the
# largest process of the command's tree (GNU time %M) — for docker that is the CLI, the daemon is separate.
record() {
    local tool="$1" w="$2" step="$3" rep="$4"; shift 4
    local lf="$STATE/logs/$tool.$w.$step.$rep.log" tf="$STATE/logs/time.tmp" t0 t1 rc rss
    echo "+ $*" > "$lf"
    t0=$EPOCHREALTIME   # bash's clock, not $(date): a fork + exec of date(1) on each side added ~4 ms to every figure
    set +e; /usr/bin/time -f '%M' -o "$tf" "$@" >> "$lf" 2>&1; rc=$?; set -e
    t1=$EPOCHREALTIME
    rss=$(tail -1 "$tf" 2>/dev/null | grep -E '^[0-9]+$' || echo 0)
    printf '%s\t%s\t%s\t%s\t%.3f\t%d\t%d\n' "$tool" "$w" "$step" "$rep" "$(echo "$t1 - $t0" | bc -l)" "$((rss / 1024))" "$rc" >> "$RAW"
    if [ "$rc" = 0 ]; then log "  $tool $w $step #$rep: $(printf '%.2f' "$(echo "$t1 - $t0" | bc -l)") s"
    else
        log "  $tool $w $step #$rep: FAILED rc=$rc (see $lf)"
        printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$w" "$step" "$rep" "$(grep -v '^+ ' "$lf" | grep -v '^Command exited' | tail -3 | tr '\t\n' '  ' | cut -c1-400)" >> "$FAILS"
    fi
    return 0
}
