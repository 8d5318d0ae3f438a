#!/usr/bin/env bash
# store.sh -- the durable path: hookd with "durability": "fsync" answering only after each
# event is committed, every request a distinct event (no dedup shortcut), 32 keep-alive
# connections, next to the shared harness's nginx-w1 row measured just before.
#   DURATION=10s CONNS=32 IO_THREADS=0 bench/store.sh
# Prints both rows, the ratio, and the store's batch sizes and commit latencies (/metrics).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HARNESS=${HOOKD_BENCH_HARNESS:-$(cd "$HERE/../../shared/bench" 2>/dev/null && pwd || true)}
if [[ -z $HARNESS || ! -f $HARNESS/bench.env ]]; then
  echo "bench: set HOOKD_BENCH_HARNESS to the shared bench folder (with peers.sh)" >&2
  exit 2
fi
. "$HARNESS/bench.env"
. "$HERE/../scripts/lib/hookd-proc.sh"
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
COUNT=${COUNT:-600000}
PORT=${PORT:-18290}
ADMIN=${ADMIN:-18291}
out=${OUT:-$HERE/out}/store-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

echo "== nginx-w1 (shared harness, $CONNS connections, 1 KiB)"
PEERS=nginx-w1 ROWS="$CONNS:1k" DURATION=$DURATION REF_DURATION=0 OUT=$out/harness \
  "$HARNESS/peers.sh" | tee "$out/nginx.txt" | grep -E '^\|' || true
nginx_rps=$(awk -F'\t' '$1=="nginx-w1" {print $4}' "$out"/harness/run-*/results.tsv | head -1)

echo "== generating $COUNT distinct signed events"
python3 "$HERE/gen_unique.py" "$out/events.tsv" "$COUNT"
sync # the generator's ~40 MB would otherwise be written back during the run, under our fsyncs

dir=$(mktemp -d "${TMPDIR:-/tmp}/hookd-store-XXXXXX")
printf '%s' "$BENCH_SECRET" >"$dir/secret"
cat >"$dir/hookd.json" <<JSON
{ "listen": [ { "address": "127.0.0.1:$PORT" } ],
  "io_threads": ${IO_THREADS:-0},
  "sources": [ { "name": "flagright", "path": "/webhooks/flagright",
                 "verify": { "scheme": "flagright", "secrets": [ { "file": "secret" } ] } } ],
  "store": { "path": "var/hookd.db", "durability": "fsync" },
  "admin": { "address": "127.0.0.1:$ADMIN" },
  "log": { "level": "info", "access": false } }
JSON
trap 'hookd_stop; rm -rf "$dir"' EXIT
hookd_start "$HERE/../build/core/hookd" "$dir" "$out/hookd.log" 1

echo "== hookd, durability fsync, $CONNS connections, 1 KiB distinct events, $DURATION"
wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$HERE/wrk/unique.lua" \
  "http://127.0.0.1:$PORT/webhooks/flagright" -- "$out/events.tsv" "$SIG_HEADER" | tee "$out/hookd.txt"
hookd_rps=$(sed -n 's/^RESULT rps=\([0-9.]*\).*/\1/p' "$out/hookd.txt")
curl -s "http://127.0.0.1:$ADMIN/metrics" | grep -E '^hookd_store_(batch_size|commit_seconds)' \
  >"$out/store-metrics.txt"
stored=$(sqlite3 "$dir/var/hookd.db" "SELECT count(*) FROM events")
echo
echo "nginx-w1: $nginx_rps req/s   hookd (fsync): $hookd_rps req/s   ratio: $(awk -v a="$hookd_rps" -v b="$nginx_rps" 'BEGIN{printf "%.2f", a/b}')"
echo "events in the store: $stored"
echo "store batches and commit latencies:"
cat "$out/store-metrics.txt"
echo "results: $out"
