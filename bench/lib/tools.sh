# shellcheck shell=bash
# Owns: the per-tool adapters of bench/run.sh (gantry, docker BuildKit, docker classic, buildah, podman): a fresh empty
# store, untimed pre-pull, and the argv of each timed step. Source, don't run.
#
# tool_use TOOL sets: T (argv prefix), and functions t_fresh / t_stop / t_prepull REF / t_tag SRC DST.
# cmd_build TAG CTX / cmd_push REF / cmd_pull REF / cmd_pullrun REF set CMD=(argv) for `record`.

DOCKER=/usr/bin/docker   # Debian's docker.io 20.10 CLI: the docker 28 CLI in /usr/local/bin has no buildx (no BuildKit)
ULIMITS=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit "nproc=32768:32768")   # no CAP_SYS_RESOURCE here

tool_use() {
    TOOL="$1"; STORE="$STATE/stores/$TOOL"
    unset DOCKER_BUILDKIT
    case "$TOOL" in
    gantry)
        T=("$GANTRY" --root "$STORE/root")
        t_fresh()   { umount_rm "$STORE"; mkdir -p "$STORE"; }
        t_stop()    { :; }
        t_prepull() { "${T[@]}" pull -q "$1" >/dev/null; }
        t_tag()     { "${T[@]}" tag "$1" "$2"; }
        cmd_build() { CMD=("${T[@]}" build --progress plain --network host -t "$1" "$2"); }
        cmd_push()  { CMD=("${T[@]}" push "$1"); }
        cmd_pull()  { CMD=("${T[@]}" pull "$1"); }
        cmd_pullrun() { CMD=(sh -c "$(printf '%q ' "${T[@]}") pull -q $1 && $(printf '%q ' "${T[@]}") run --rm --network host $1 node -e 'console.log(process.version)'"); }
        ;;
    buildkit|classic)
        if [ "$TOOL" = buildkit ]; then export DOCKER_BUILDKIT=1; else export DOCKER_BUILDKIT=0; fi
        T=("$DOCKER" -H "unix://$STATE/stores/dockerd.sock")
        t_stop() {
            stop_pidfile "$STATE/pids/dockerd.pid"    # dockerd stops the containerd it started
            local i; for i in $(seq 1 50); do pgrep -f "$STATE/stores/docker-exec/containerd" >/dev/null || break; sleep 0.2; done
        }
        t_fresh() {   # a private dockerd on an empty data-root: no bridge, no iptables rules, host network for builds
            t_stop; umount_rm "$STATE/stores/docker-data"; umount_rm "$STATE/stores/docker-exec"; mkdir -p "$STORE"
            dockerd --data-root "$STATE/stores/docker-data" --exec-root "$STATE/stores/docker-exec" \
                --pidfile "$STATE/stores/dockerd.pidfile" -H "unix://$STATE/stores/dockerd.sock" \
                --bridge=none --iptables=false --ip6tables=false --log-level=error >> "$STATE/logs/dockerd.log" 2>&1 &
            echo $! > "$STATE/pids/dockerd.pid"
            local i; for i in $(seq 1 200); do "${T[@]}" version >/dev/null 2>&1 && return 0; sleep 0.2; done
            die "dockerd did not start (see $STATE/logs/dockerd.log)"
        }
        t_prepull() { "${T[@]}" pull -q "$1" >/dev/null; }
        t_tag()     { "${T[@]}" tag "$1" "$2"; }
        cmd_build() { CMD=("${T[@]}" build --network host -t "$1" "$2"); }
        cmd_push()  { CMD=("${T[@]}" push "$1"); }
        cmd_pull()  { CMD=("${T[@]}" pull "$1"); }
        cmd_pullrun() { CMD=(sh -c "$(printf '%q ' "${T[@]}") pull -q $1 && $(printf '%q ' "${T[@]}") run --rm --network host $1 node -e 'console.log(process.version)'"); }
        ;;
    buildah)
        T=(buildah --root "$STORE/root" --runroot "$STORE/runroot" --storage-driver overlay)
        t_fresh()   { umount_rm "$STORE"; mkdir -p "$STORE"; }
        t_stop()    { :; }
        t_prepull() { "${T[@]}" pull -q --tls-verify=false "docker://$1" >/dev/null; }
        t_tag()     { "${T[@]}" tag "$1" "$2"; }
        # --layers: without it buildah caches nothing; --pull=false: use the local base as docker does
        cmd_build() { CMD=("${T[@]}" bud --layers --pull=false --tls-verify=false --network host -t "$1" "$2"); }
        cmd_push()  { CMD=("${T[@]}" push --tls-verify=false "$1" "docker://$1"); }
        cmd_pull()  { CMD=("${T[@]}" pull --tls-verify=false "docker://$1"); }
        cmd_pullrun() { CMD=(); }   # buildah has no `run IMAGE`
        ;;
    podman)
        T=(podman --root "$STORE/root" --runroot "$STORE/runroot" --tmpdir "$STORE/tmp" --storage-driver overlay)
        t_fresh()   { umount_rm "$STORE"; mkdir -p "$STORE"; }
        t_stop()    { :; }
        t_prepull() { "${T[@]}" pull -q --tls-verify=false "docker://$1" >/dev/null; }
        t_tag()     { "${T[@]}" tag "$1" "$2"; }
        cmd_build() { CMD=("${T[@]}" build --layers --pull=false --tls-verify=false --network host -t "$1" "$2"); }
        cmd_push()  { CMD=("${T[@]}" push --tls-verify=false "$1" "docker://$1"); }
        cmd_pull()  { CMD=("${T[@]}" pull --tls-verify=false "docker://$1"); }
        cmd_pullrun() { CMD=(sh -c "$(printf '%q ' "${T[@]}") pull -q --tls-verify=false docker://$1 && $(printf '%q ' "${T[@]}") run --rm --network host $(printf '%q ' "${ULIMITS[@]}") $1 node -e 'console.log(process.version)'"); }
        ;;
    *) die "unknown tool $TOOL" ;;
    esac
}

tool_version() {
    case "$1" in
        gantry)   "$GANTRY" version 2>/dev/null | tr -s ' \n' ' ' | cut -c1-120 ;;
        buildkit|classic) dockerd --version ;;
        buildah)  buildah --version ;;
        podman)   podman --version ;;
    esac
}
