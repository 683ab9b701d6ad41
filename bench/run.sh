#!/usr/bin/env bash
# Owns: the one-command benchmark of Gantry against docker (BuildKit and classic), buildah, podman and Debian's
# docker-registry (issue 9). Run as root on Debian 12: `bench/run.sh`. See bench/README.md.
#
# Environment:
#   BENCH_RUNS=N        repetitions of every step (default 3); each figure is the median with min/max
#   BENCH_QUICK=1       smoke test: 1 run, data scaled to 10 %, small registry load
#   BENCH_TOOLS="..."   subset of: gantry buildkit classic buildah podman
#   BENCH_WORKLOADS="..." subset of: w1-many-files w2-big-layer w3-node-app
#   BENCH_PARTS="..."   subset of: builds pullrun images registry profile
#   GANTRY=/path        use this gantry binary instead of publishing src/Gantry.Cli (Native AOT) into $BENCH_STATE
#   BENCH_STATE=DIR     generated data, stores, logs (default /var/tmp/gantry-bench)
#   BENCH_SETTLE=S, BENCH_MIN_FREE_GB=G  the trash is emptied only below G GB free (default 25), then S s of wait
#                       (default 370): see settle_fs in lib/common.sh
set -euo pipefail
export LC_ALL=C   # $EPOCHREALTIME and bc need a '.' decimal point
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib/common.sh"
. "$here/lib/tools.sh"
. "$here/lib/regload.sh"
[ "$(id -u)" = 0 ] || die "run as root"

RUNS="${BENCH_RUNS:-3}"; SCALE=1; REG_BLOBS=64; REG_BLOB_MIB=4; REG_GETS=3000
if [ "${BENCH_QUICK:-0}" = 1 ]; then RUNS=1; SCALE=0.1; REG_BLOBS=16; REG_BLOB_MIB=1; REG_GETS=300; fi
TOOLS=(${BENCH_TOOLS:-gantry buildkit classic buildah podman})
WORKLOADS=(${BENCH_WORKLOADS:-w1-many-files w2-big-layer w3-node-app})
PARTS=" ${BENCH_PARTS:-builds pullrun images registry profile} "
IMAGES_N="${BENCH_IMAGES:-200}"; [ "${BENCH_QUICK:-0}" = 1 ] && IMAGES_N="${BENCH_IMAGES:-20}"

mkdir -p "$STATE"/{logs,pids,tmp,base,stores,work,registry}
apt_need buildah podman docker.io docker-registry skopeo hyperfine umoci mmdebstrap busybox-static crun runc conmon \
    fuse-overlayfs time bc curl python3 gnuplot-nox ca-certificates libdeflate0
# Debian's docker-registry package may start a service on :5000 where no policy-rc.d stops it; the bench runs its own.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now docker-registry docker containerd >/dev/null 2>&1 || true; fi
fix_hybrid_cgroups

# gantry: Native AOT, published from a snapshot of the committed HEAD (`git archive`), so the figures belong to one
# commit and a half-edited working tree cannot break the run; cached per commit.
COMMIT="$(git -C "$REPO_DIR" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
if [ -z "${GANTRY:-}" ]; then
    GANTRY="$STATE/gantry-$COMMIT/gantry"
    if [ ! -x "$GANTRY" ]; then
        log "publishing gantry $COMMIT (Native AOT) into $STATE/gantry-$COMMIT"
        rm -rf "$STATE/src-$COMMIT"; mkdir -p "$STATE/src-$COMMIT"
        git -C "$REPO_DIR" archive HEAD | tar -x -C "$STATE/src-$COMMIT"
        dotnet publish "$STATE/src-$COMMIT/src/Gantry.Cli/Gantry.Cli.csproj" -c Release -r linux-x64 -o "$STATE/gantry-$COMMIT" \
            -nologo -v quiet > "$STATE/logs/publish.log" 2>&1 || die "gantry publish failed (see $STATE/logs/publish.log)"
        umount_rm "$STATE/src-$COMMIT"   # to the trash, like every store (see settle_fs in common.sh)
    fi
else
    COMMIT="$COMMIT (GANTRY=$GANTRY)"
fi
[ -x "$GANTRY" ] || log "WARNING: no gantry binary at $GANTRY yet: gantry steps will fail unless it appears in time"

RUNID="$(date -u +%Y%m%d-%H%M%S)"
RES="$here/results/$RUNID"; mkdir -p "$RES"
RAW="$RES/steps.tsv"; REGRAW="$RES/registry.tsv"; FAILS="$RES/failures.tsv"; META="$RES/meta.txt"
printf 'tool\tworkload\tstep\trep\tseconds\tpeak_rss_mb\trc\n' > "$RAW"
printf 'server\tclients\trep\tupload_MBps\tdownload_MBps\tmanifest_gets_per_s\tpeak_rss_mb\terrors\n' > "$REGRAW"
printf 'tool\tworkload\tstep\trep\terror\n' > "$FAILS"

cleanup() {
    set +e
    stop_pidfile "$STATE/pids/dockerd.pid"
    for f in "$STATE"/pids/*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
    umount_rm "$STATE/stores"; rm -rf "$STATE/work" "$STATE/registry/live" "$STATE/registry"/load-*
}
trap cleanup EXIT
trap "exit 130" INT TERM

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "gantry commit: $COMMIT"
    echo "runs: $RUNS  quick: ${BENCH_QUICK:-0}  scale: $SCALE"
    echo "machine: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME")"
    echo "load_start: $(cut -d' ' -f1-3 /proc/loadavg)"
    for t in gantry buildkit buildah podman; do echo "version_$t: $(tool_version $t)"; done
    echo "version_docker-registry: $(docker-registry --version 2>&1 | head -1)"
    echo "version_crun: $(crun --version | head -1)"
    echo "version_hyperfine: $(hyperfine --version)"
} > "$META"
log "bench $RUNID: $RUNS run(s), tools: ${TOOLS[*]}, load $(cut -d' ' -f1-3 /proc/loadavg)"

setup_bases
setup_contexts
BUSYBOX_REF="$REG_ADDR/bench/busybox:latest"; NODE_REF="$REG_ADDR/bench/node:bookworm"

edit_context() {   # rewrite (new inode: breaks the hard link to the cached context) the workload's edited file
    local ctx="$1" w="$2" f; f="$(cat "$BENCH_DIR/workloads/$w/edit")"
    { cat "$ctx/$f"; echo "// edited $RUNID $TOOL $3"; } > "$ctx/$f.new"; mv "$ctx/$f.new" "$ctx/$f"
}

run_workload() {   # run_workload WORKLOAD REP : cold, warm (no change), edit, push, pull into an empty store
    local w="$1" rep="$2" ctx="$STATE/work/$TOOL-$1" tag ref base
    umount_rm "$ctx"; cp -al "$STATE/contexts/$w" "$ctx"
    base="$(awk '/^FROM /{print $2; exit}' "$ctx/Dockerfile")"
    tag="localhost/bench/$w:latest"
    case "$TOOL" in gantry|buildkit|classic) tag="bench/$w:latest" ;; esac
    t_fresh; t_prepull "$base" || log "  $TOOL: pre-pull of $base failed"
    cmd_build "$tag" "$ctx"
    record "$TOOL" "$w" cold "$rep" "${CMD[@]}"
    record "$TOOL" "$w" warm "$rep" "${CMD[@]}"
    edit_context "$ctx" "$w" "$rep"
    record "$TOOL" "$w" edit "$rep" "${CMD[@]}"
    ref="$REG_ADDR/push/$TOOL-$rep/$w:latest"
    t_tag "$tag" "$ref" > "$STATE/logs/tag.log" 2>&1 || true
    reset_registry   # the registry holds exactly the base images before every push
    cmd_push "$ref"; record "$TOOL" "$w" push "$rep" "${CMD[@]}"
    t_fresh
    cmd_pull "$ref"; record "$TOOL" "$w" pull "$rep" "${CMD[@]}"
    if [ "$TOOL" = podman ]; then skopeo_steps "$ref" "$w" "$rep"; fi
    t_stop; umount_rm "$STORE"; umount_rm "$ctx"
}

# skopeo_steps REF WORKLOAD REP : `skopeo copy` of the image podman just pulled, out of podman's store to the registry
# (push) and from the registry into an empty containers-storage store (pull, layers applied as podman does).
skopeo_steps() {
    local src="containers-storage:[overlay@$STORE/root+$STORE/runroot]$1" ref="$REG_ADDR/push/skopeo-$3/$2:latest"
    local dst="$STATE/stores/skopeo"
    reset_registry
    record skopeo "$2" push "$3" skopeo copy -q --dest-tls-verify=false "$src" "docker://$ref"
    umount_rm "$dst"; mkdir -p "$dst"
    record skopeo "$2" pull "$3" skopeo copy -q --src-tls-verify=false "docker://$ref" \
        "containers-storage:[overlay@$dst/root+$dst/runroot]$ref"
    umount_rm "$dst"
}

settle_fs always   # the run starts with no recently freed inodes: earlier runs' trash goes now (see common.sh)

if [[ "$PARTS" == *" builds "* ]]; then
    for rep in $(seq 1 "$RUNS"); do
        for w in "${WORKLOADS[@]}"; do
            settle_fs
            for tool in "${TOOLS[@]}"; do log "build $w with $tool (run $rep/$RUNS)"; tool_use "$tool"; run_workload "$w" "$rep"; done
        done
    done
fi

if [[ "$PARTS" == *" pullrun "* ]]; then   # pull + first run of the node base image, into an empty store
    reset_registry
    for rep in $(seq 1 "$RUNS"); do
        for tool in "${TOOLS[@]}"; do
            [ "$tool" = classic ] || [ "$tool" = buildah ] && continue   # same daemon as buildkit / no `run IMAGE`
            tool_use "$tool"; t_fresh; settle_fs; cmd_pullrun "$NODE_REF"
            record "$TOOL" node pullrun "$rep" "${CMD[@]}"
            t_stop; umount_rm "$STORE"
        done
    done
fi

if [[ "$PARTS" == *" profile "* ]] && [[ " ${TOOLS[*]} " == *" gantry "* ]]; then
    # where gantry's time goes: syscall summary (strace -c -f) and the plain progress of warm, edit and push, per workload
    apt_need strace
    tool_use gantry
    for w in "${WORKLOADS[@]}"; do
        log "profile: gantry $w (strace -c -f; not timed)"
        ctx="$STATE/work/profile-$w"; rm -rf "$ctx"; cp -al "$STATE/contexts/$w" "$ctx"
        t_fresh; t_prepull "$(awk '/^FROM /{print $2; exit}' "$ctx/Dockerfile")" || true
        cmd_build "bench/$w:latest" "$ctx"; "${CMD[@]}" > "$RES/profile-$w-cold.txt" 2>&1 || true
        for step in warm edit push; do
            case "$step" in
                edit) edit_context "$ctx" "$w" profile; cmd_build "bench/$w:latest" "$ctx" ;;
                push) t_tag "bench/$w:latest" "$REG_ADDR/profile/$w:latest" >/dev/null 2>&1 || true; reset_registry; cmd_push "$REG_ADDR/profile/$w:latest" ;;
            esac
            { date -u +%T.%N; strace -f -c -o "$RES/profile-$w-$step.strace" "${CMD[@]}" 2>&1; date -u +%T.%N; } > "$RES/profile-$w-$step.txt" 2>&1 || true
        done
        t_stop; umount_rm "$STORE"; rm -rf "$ctx"
    done
fi

hyperfine_rows() {   # hyperfine_rows JSON TOOL WORKLOAD STEP : every timed run as a steps.tsv row
    python3 - "$@" >> "$RAW" <<'EOF'
import json, sys
path, tool, wl, step = sys.argv[1:5]
for i, r in enumerate(json.load(open(path))["results"]):
    if i != 0: tool = "podman"
    codes = r.get("exit_codes") or [0] * len(r["times"])
    for n, (t, c) in enumerate(zip(r["times"], codes), 1):
        print("%s\t%s\t%s\t%d\t%.4f\t0\t%d" % (tool, wl, step, n, t, c))
EOF
}

if [[ "$PARTS" == *" images "* ]]; then
    log "images: $IMAGES_N images in a gantry store and a podman store; AOT startup on an empty store"
    g=("$GANTRY" --root "$STATE/stores/images-gantry")
    p=(podman --root "$STATE/stores/images-podman/root" --runroot "$STATE/stores/images-podman/runroot" --storage-driver overlay)
    umount_rm "$STATE/stores/images-gantry"; umount_rm "$STATE/stores/images-podman"
    mkdir -p "$STATE/tmp/img"
    names=()
    for i in $(seq 1 "$IMAGES_N"); do
        echo "image $i" > "$STATE/tmp/img/id.txt"
        tar -C "$STATE/tmp/img" --owner=0 --group=0 -cf - id.txt | "${g[@]}" import - "bench/img$i:latest" >> "$STATE/logs/images-setup.log" 2>&1
        names+=("bench/img$i:latest")
    done
    if "${g[@]}" save -o "$STATE/tmp/images.tar" "${names[@]}" >> "$STATE/logs/images-setup.log" 2>&1 \
        && "${p[@]}" load -q -i "$STATE/tmp/images.tar" >> "$STATE/logs/images-setup.log" 2>&1; then :
    else
        log "  (gantry save | podman load failed; importing into podman one by one)"
        for i in $(seq 1 "$IMAGES_N"); do
            echo "image $i" > "$STATE/tmp/img/id.txt"
            tar -C "$STATE/tmp/img" -cf - id.txt | "${p[@]}" import -q - "localhost/bench/img$i:latest" >> "$STATE/logs/images-setup.log" 2>&1
        done
    fi
    rm -f "$STATE/tmp/images.tar"
    log "  gantry lists $("${g[@]}" images -q | wc -l) images, podman $("${p[@]}" images -q | wc -l)"
    hr=$(( RUNS < 10 ? 10 : RUNS ))
    hyperfine -N -w 2 -r "$hr" -i --export-json "$RES/images.json" "$(printf '%q ' "${g[@]}") images" "$(printf '%q ' "${p[@]}") images" > "$STATE/logs/hyperfine-images.log" 2>&1
    hyperfine_rows "$RES/images.json" gantry "images-$IMAGES_N" images
    e=("$GANTRY" --root "$STATE/stores/empty-gantry")
    ep=(podman --root "$STATE/stores/empty-podman/root" --runroot "$STATE/stores/empty-podman/runroot" --storage-driver overlay)
    hyperfine -N -w 2 -r "$hr" -i --export-json "$RES/startup.json" "$(printf '%q ' "${e[@]}") images" "$(printf '%q ' "${ep[@]}") images" > "$STATE/logs/hyperfine-startup.log" 2>&1
    hyperfine_rows "$RES/startup.json" gantry empty-store images
    umount_rm "$STATE/stores/images-gantry"; umount_rm "$STATE/stores/images-podman"
    umount_rm "$STATE/stores/empty-gantry"; umount_rm "$STATE/stores/empty-podman"
fi

if [[ "$PARTS" == *" registry "* ]]; then
    log "registry servers: $REG_BLOBS blobs x $REG_BLOB_MIB MiB up and down, $REG_GETS manifest GETs, at 1/8/64 clients"
    regload_blobs "$STATE/regblobs"
    for c in 1 8 64; do
        for rep in $(seq 1 "$RUNS"); do
            regload_run gantry 127.0.0.1:5101 "$c" "$rep"
            regload_run distribution 127.0.0.1:5100 "$c" "$rep"
        done
    done
fi

{ echo "load_end: $(cut -d' ' -f1-3 /proc/loadavg)"; echo "version_gantry: $(tool_version gantry)"; } >> "$META"
cleanup; trap - EXIT
python3 "$here/lib/summarize.py" "$RES" "$here/RESULTS.md" "$here/ratios.png"
log "done: $here/RESULTS.md, $here/ratios.png, raw data in $RES"
