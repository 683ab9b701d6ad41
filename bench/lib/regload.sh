# shellcheck shell=bash
# Owns: the registry-server measurement (loopback only, bounded in count and time): blob upload and download MB/s and
# manifest GETs/s at a given number of concurrent clients, plus the server's peak RSS. Source, don't run.
#
# The load comes from bench/tools/regload (C#, SocketsHttpHandler): C workers on persistent HTTP/1.1 connections share a
# fixed amount of work (REG_BLOBS blobs of REG_BLOB_MIB MiB, REG_GETS manifest GETs). Uploads are monolithic (POST +
# PUT with ?digest=), downloads read and count every byte, the manifest GETs send an OCI Accept header. Every status
# code is checked (a wrong one counts as an error, reported in the TSV); the whole run is bounded by --timeout.
# Blobs are held in the generator's memory, so neither server competes with client disk reads.

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

# regload_tool : builds bench/tools/regload once per source version into $STATE (prints the binary's path)
regload_tool() {
    local src="$here/tools/regload" sum out
    sum="$(cat "$src"/*.cs "$src"/*.csproj | sha256sum | cut -c1-12)"
    out="$STATE/regload-$sum"
    if [ ! -x "$out/regload" ]; then
        rm -rf "$STATE/regload-build"
        cp -r "$src" "$STATE/regload-build"   # outside the tree: no obj/ or bin/ left in bench/
        dotnet build "$STATE/regload-build/regload.csproj" -c Release -o "$out" -nologo -v quiet >&2 || die "cannot build bench/tools/regload"
    fi
    echo "$out/regload"
}

now() { date +%s.%N; }

# regload_run KIND ADDR C REP : one measurement on a fresh server with empty storage; appends a row to $REGRAW:
# server clients rep upload_MBps download_MBps manifest_gets_per_s peak_rss_mb errors
regload_run() {
    local kind="$1" addr="$2" c="$3" rep="$4" root="$STATE/registry/load-$1" pid out up down gets errs hwm tool
    tool="$(regload_tool)"
    rm -rf "$root"
    if [ "$kind" = gantry ]; then gantry_registry_start "load-$kind" "$addr" "$root"; else distribution_start "load-$kind" "$addr" "$root"; fi
    pid="$(cat "$STATE/pids/load-$kind.pid")"

    out="$("$tool" --addr "$addr" --repo "load/c$c" --clients "$c" --blobs "$STATE/regblobs" --gets "$REG_GETS" --timeout 600 \
        2> "$STATE/logs/regload-$kind-c$c-$rep.log")" || out="0	0	0	1"
    IFS=$'\t' read -r up down gets errs <<< "$out"

    hwm=$(awk '/^VmHWM:/{print int($2/1024)}' "/proc/$pid/status" 2>/dev/null || echo 0)
    stop_pidfile "$STATE/pids/load-$kind.pid" 30
    rm -rf "$root"
    printf '%s\t%s\t%s\t%.1f\t%.1f\t%.0f\t%s\t%s\n' "$kind" "$c" "$rep" "$up" "$down" "$gets" "$hwm" "$errs" >> "$REGRAW"
    log "  registry $kind c=$c #$rep: up $(printf '%.0f' "$up") MB/s, down $(printf '%.0f' "$down") MB/s, $(printf '%.0f' "$gets") manifest GET/s, peak RSS $hwm MB, errors $errs"
}
