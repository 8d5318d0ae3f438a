#!/usr/bin/env bash
# tls.sh -- what TLS costs hookd: keep-alive requests/s over TLS next to plain HTTP with the
# same signed payloads, and new TLS handshakes/s (full and resumed). Loopback only.
#
#   bench/tls.sh [BUILD_DIR]       default BUILD_DIR: build
#
# Knobs (environment): BENCH_DIR (the shared bench folder with bench.env, gen_payload.py and
# wrk/post.lua; default /work/shared/bench), ROWS ("CONNS:PAYLOAD ...", default
# "32:1k 32:16k"), DURATION (wrk -d and s_time -time, default 10s), WARMUP (default 2s),
# THREADS (wrk -t, default 1), IO_THREADS (hookd's, default 2), OUT (default
# bench/out/tls-STAMP). The store runs with "durability": "off", so the numbers are about
# HTTP and TLS, not the disk. Prints a Markdown table, also saved as OUT/results.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HOOKD=${HOOKD_BIN:-$ROOT/${1:-build}/core/hookd}
BENCH_DIR=${BENCH_DIR:-/work/shared/bench}
ROWS=${ROWS:-"32:1k 32:16k"}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
THREADS=${THREADS:-1}
IO_THREADS=${IO_THREADS:-2}
OUT=${OUT:-$ROOT/bench/out/tls-$(date +%Y%m%d-%H%M%S)}
PATH_=/webhook

for bin in "$HOOKD" wrk openssl python3; do
  command -v "$bin" >/dev/null || { echo "tls.sh: $bin not found (build, or scripts/setup.sh --bench)" >&2; exit 1; }
done
[[ -r $BENCH_DIR/bench.env ]] || { echo "tls.sh: no bench.env in $BENCH_DIR: set BENCH_DIR" >&2; exit 1; }
# shellcheck source=/dev/null
. "$BENCH_DIR/bench.env"
. "$ROOT/scripts/lib/hookd-proc.sh"

work=$(mktemp -d)
trap 'hookd_stop; rm -rf "$work"' EXIT
mkdir -p "$OUT" "$work/conf/plugins.d" "$work/payload"

python3 "$BENCH_DIR/gen_payload.py" "$work/payload" >/dev/null
"$ROOT/scripts/gen-cert.sh" "$work/conf/tls" >/dev/null
cat >"$work/conf/hookd.json" <<EOF
{
  "listen": [{"address": "127.0.0.1:0"},
             {"address": "127.0.0.1:0", "tls": {"cert": "tls/cert.pem", "key": "tls/key.pem"}}],
  "io_threads": $IO_THREADS,
  "log": {"level": "info", "access": false},
  "limits": {"max_body_bytes": 1048576},
  "store": {"durability": "off"},
  "plugin_dir": "$ROOT/build/plugins",
  "sources": [{"name": "bench", "path": "$PATH_",
               "verify": {"scheme": "flagright", "secrets": [{"env": "BENCH_SECRET"}]}}]
}
EOF

hookd_start "$HOOKD" "$work/conf" "$OUT/hookd.log" 2
plain=${HOOKD_PORTS[0]}
tls=${HOOKD_PORTS[1]}

# wrk one row: prints "rps p50_us p99_us errors" from post.lua's RESULT line.
run_wrk() { # URL CONNS PAYLOAD DURATION LOG
  local url=$1 conns=$2 payload=$3 dur=$4 log=$5
  wrk -t"$THREADS" -c"$conns" -d"$dur" --timeout 5s --latency -s "$BENCH_DIR/wrk/post.lua" \
    "$url" -- "$work/payload/event-$payload.json" "$work/payload/event-$payload.sig" \
    "$SIG_HEADER" >"$log" 2>&1
  sed -n 's/^RESULT rps=\([0-9.]*\) p50_us=\([0-9]*\) p90_us=[0-9]* p99_us=\([0-9]*\) .*non2xx3xx=\([0-9]*\) connect=\([0-9]*\) read=\([0-9]*\) write=\([0-9]*\) timeout=\([0-9]*\).*/\1 \2 \3 \4+\5+\6+\7+\8/p' "$log"
}

# Handshakes per second with openssl s_time: -new (every one full) or -reuse (resumed).
run_s_time() { # MODE LOG
  openssl s_time -connect "127.0.0.1:$tls" "$1" -time "${DURATION%s}" >"$2" 2>&1 || true
  sed -n 's/^\([0-9]*\) connections in \([0-9.]*\) real seconds.*/\1 \2/p' "$2" | tail -1 |
    awk '{ printf "%.0f", $1 / $2 }'
}

{
  echo "hookd TLS benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, hookd io_threads=$IO_THREADS"
  echo "wrk -t$THREADS -d$DURATION (warmup $WARMUP), keep-alive, payloads from gen_payload.py; store durability off"
  echo
  echo "| transport | conns | payload | req/s | p50 ms | p99 ms | errors | TLS/plain |"
  echo "|---|---|---|---|---|---|---|---|"
} >"$OUT/results.md"

for row in $ROWS; do
  conns=${row%%:*}
  payload=${row##*:}
  declare -A rps=()
  for t in plain tls; do
    if [[ $t == tls ]]; then url="https://localhost:$tls$PATH_"; else url="http://127.0.0.1:$plain$PATH_"; fi
    [[ $WARMUP != 0 ]] && run_wrk "$url" "$conns" "$payload" "$WARMUP" "$OUT/warmup.txt" >/dev/null
    read -r r p50 p99 errs < <(run_wrk "$url" "$conns" "$payload" "$DURATION" "$OUT/wrk-$t-$row.txt")
    rps[$t]=$r
    ratio=-
    [[ $t == tls ]] && ratio=$(awk -v a="$r" -v b="${rps[plain]}" 'BEGIN { printf "%.2f", a / b }')
    awk -v t="$t" -v c="$conns" -v p="$payload" -v r="$r" -v a="$p50" -v b="$p99" -v e="$errs" \
        -v x="$ratio" 'BEGIN { printf "| %s | %s | %s | %.0f | %.2f | %.2f | %s | %s |\n",
                               t, c, p, r, a / 1000, b / 1000, e, x }' >>"$OUT/results.md"
  done
done

new=$(run_s_time -new "$OUT/s_time-new.txt")
reuse=$(run_s_time -reuse "$OUT/s_time-reuse.txt")
{
  echo
  echo "| handshakes (openssl s_time -time ${DURATION%s}, one client) | per second |"
  echo "|---|---|"
  echo "| new (full: ECDHE x25519 + ECDSA P-256) | $new |"
  echo "| resumed (session ticket) | $reuse |"
} >>"$OUT/results.md"
cat "$OUT/results.md"
echo
echo "raw logs: $OUT"
