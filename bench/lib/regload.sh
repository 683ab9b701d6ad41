# shellcheck shell=bash
# Owns: the registry-server load generator (curl + xargs, loopback only, bounded in count and time): blob upload and
# download MB/s and manifest GETs/s at a given number of concurrent clients, plus the server's peak RSS. Source, don't run.
#
# Work per measurement is fixed (REG_BLOBS blobs of REG_BLOB_MIB MiB, REG_GETS manifest GETs) and split over C clients.
# Uploads: one POST + one PUT (monolithic, `curl -T`) per blob, one curl process each. Downloads and manifest GETs: one
# curl process per client with all its URLs in a -K config, so each client keeps its connection alive.
# Every curl has --max-time; every response code is checked (a wrong code counts as an error, reported in the TSV).

regload_blobs() {   # regload_blobs DIR : REG_BLOBS distinct random blobs named by their sha256 (cached)
    local dir="$1" i f h
    if [ "$(cat "$dir.stamp" 2>/dev/null)" = "$REG_BLOBS x $REG_BLOB_MIB" ]; then return 0; fi
    rm -rf "$dir"; mkdir -p "$dir"
    for i in $(seq 1 "$REG_BLOBS"); do
        f="$dir/tmp"; head -c "$((REG_BLOB_MIB * 1048576))" /dev/urandom > "$f"
        h="$(sha256sum "$f" | cut -d' ' -f1)"; mv "$f" "$dir/$h"
    done
    echo "$REG_BLOBS x $REG_BLOB_MIB" > "$dir.stamp"
}

regload_upload_one() {   # ADDR REPO FILE : POST an upload session, PUT the whole blob; prints the PUT's status code
    local addr="$1" repo="$2" f="$3" loc sep
    loc="$(curl -s --max-time 60 -o /dev/null -D - -X POST "http://$addr/v2/$repo/blobs/uploads/" | awk 'tolower($1)=="location:"{print $2}' | tr -d '\r')"
    [ -n "$loc" ] || { echo "000"; return 0; }
    case "$loc" in http*) ;; *) loc="http://$addr$loc" ;; esac
    sep='?'; case "$loc" in *\?*) sep='&' ;; esac
    curl -s --max-time 120 -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/octet-stream' -T "$f" "$loc${sep}digest=sha256:$(basename "$f")"
}
export -f regload_upload_one

# regload_parallel_gets C OUTCODES URL... : C curl processes, URLs dealt round-robin, connection reuse per client
regload_parallel_gets() {
    local c="$1" codes="$2" accept="$3"; shift 3
    local i=0 u dir; dir="$(mktemp -d "$STATE/tmp/gets.XXXXXX")"
    for u in "$@"; do printf 'url = "%s"\noutput = "/dev/null"\n' "$u" >> "$dir/k$((i % c))"; i=$((i + 1)); done
    local pids=() f
    for f in "$dir"/k*; do
        curl -s --max-time 300 -H "Accept: $accept" -w '%{http_code}\n' -K "$f" > "$f.codes" &
        pids+=($!)
    done
    wait "${pids[@]}"   # only the curls: the server under test is a child of this shell too
    cat "$dir"/k*.codes > "$codes"; rm -rf "$dir"
}

now() { date +%s.%N; }

# regload_run KIND ADDR C REP : one measurement on a fresh server with empty storage; appends a row to $REGRAW:
# server clients rep upload_MBps download_MBps manifest_gets_per_s peak_rss_mb errors
regload_run() {
    local kind="$1" addr="$2" c="$3" rep="$4" root="$STATE/registry/load-$1" pid t0 t1 up down gets errs=0 hwm
    local blobs=("$STATE/regblobs"/*) repo="load/c$c" mib codes="$STATE/tmp/codes"
    rm -rf "$root"
    if [ "$kind" = gantry ]; then gantry_registry_start "load-$kind" "$addr" "$root"; else distribution_start "load-$kind" "$addr" "$root"; fi
    pid="$(cat "$STATE/pids/load-$kind.pid")"
    mib=$(( ${#blobs[@]} * REG_BLOB_MIB ))

    t0=$(now)
    printf '%s\n' "${blobs[@]}" | xargs -P "$c" -n 1 bash -c 'regload_upload_one "$0" "$1" "$2"' "$addr" "$repo" > "$codes"
    t1=$(now); up=$(echo "$mib / ($t1 - $t0)" | bc -l)
    errs=$((errs + $(grep -cv '^201$' "$codes" || true)))

    local urls=() b
    for b in "${blobs[@]}"; do urls+=("http://$addr/v2/$repo/blobs/sha256:$(basename "$b")"); done
    t0=$(now); regload_parallel_gets "$c" "$codes" '*/*' "${urls[@]}"; t1=$(now)
    down=$(echo "$mib / ($t1 - $t0)" | bc -l)
    errs=$((errs + $(grep -cv '^200$' "$codes" || true)))

    # a small image manifest (config = a tiny JSON blob, one layer = the first blob), then REG_GETS GETs of it by tag
    local cfg='{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' cfgd cfgf="$STATE/tmp/cfg.json" man
    printf '%s' "$cfg" > "$cfgf"; cfgd="$(sha256sum "$cfgf" | cut -d' ' -f1)"
    cp "$cfgf" "$STATE/tmp/$cfgd"; regload_upload_one "$addr" "$repo" "$STATE/tmp/$cfgd" > /dev/null; rm -f "$STATE/tmp/$cfgd"
    man=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}' \
        "$cfgd" "${#cfg}" "$(basename "${blobs[0]}")" "$((REG_BLOB_MIB * 1048576))")
    local pc; pc=$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "$man" "http://$addr/v2/$repo/manifests/latest")
    [ "$pc" = 201 ] || { errs=$((errs + 1)); log "  manifest PUT to $kind: HTTP $pc"; }
    urls=(); for b in $(seq 1 "$REG_GETS"); do urls+=("http://$addr/v2/$repo/manifests/latest"); done
    t0=$(now); regload_parallel_gets "$c" "$codes" 'application/vnd.oci.image.manifest.v1+json' "${urls[@]}"; t1=$(now)
    gets=$(echo "$REG_GETS / ($t1 - $t0)" | bc -l)
    errs=$((errs + $(grep -cv '^200$' "$codes" || true)))

    hwm=$(awk '/^VmHWM:/{print int($2/1024)}' "/proc/$pid/status" 2>/dev/null || echo 0)
    # gantry registry serve currently ignores SIGTERM (reported): give every server 3 s, then SIGKILL
    stop_pidfile "$STATE/pids/load-$kind.pid" 30
    rm -rf "$root"
    printf '%s\t%s\t%s\t%.1f\t%.1f\t%.0f\t%s\t%s\n' "$kind" "$c" "$rep" "$up" "$down" "$gets" "$hwm" "$errs" >> "$REGRAW"
    log "  registry $kind c=$c #$rep: up $(printf '%.0f' "$up") MB/s, down $(printf '%.0f' "$down") MB/s, $(printf '%.0f' "$gets") manifest GET/s, peak RSS $hwm MB, errors $errs"
}
