#!/usr/bin/env bash
# store.sh -- the durable path: hookd with "durability": "fsync" answering only after each
# event is committed, every request a distinct event (no dedup shortcut), on keep-alive
# connections, next to the shared harness's nginx-w1 row at the same concurrency, measured
# just before. One row per connection count and durability, each on a fresh store.
#   DURATION=10s CONNS="32 256" DURABILITY=fsync IO_THREADS=0 bench/store.sh
# DURABILITY="fsync os off" adds the rows that show what the path costs without the disk's
# flush (os) and without the disk (off): the ceiling that fsync can only lower.
# Prints every row, its ratio, and the store's batch sizes and commit latencies (/metrics).
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
CONNS=${CONNS:-32 256}
DURABILITY=${DURABILITY:-fsync}
COUNT=${COUNT:-600000}
PORT=${PORT:-18290}
ADMIN=${ADMIN:-18291}
out=${OUT:-$HERE/out}/store-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

echo "== generating $COUNT distinct signed events"
python3 "$HERE/gen_unique.py" "$out/events.tsv" "$COUNT"
sync # the generator's ~40 MB would otherwise be written back during the run, under our fsyncs

dir=
trap 'hookd_stop; [[ -z $dir ]] || rm -rf "$dir"' EXIT

# metric NAME FILE: the value of an unlabelled sample in a /metrics dump
metric() { awk -v n="$1" '$1 == n {print $2}' "$2"; }

summary=()
for conns in $CONNS; do
  echo "== nginx-w1 (shared harness, $conns connections, 1 KiB)"
  PEERS=nginx-w1 ROWS="$conns:1k" DURATION=$DURATION REF_DURATION=0 OUT=$out/harness-c$conns \
    "$HARNESS/peers.sh" >"$out/nginx-c$conns.txt"
  grep -E '^\| nginx' "$out/nginx-c$conns.txt" || true
  nginx_rps=$(awk -F'\t' '$1=="nginx-w1" {print $4}' "$out"/harness-c$conns/run-*/results.tsv | head -1)

  for durability in $DURABILITY; do
    dir=$(mktemp -d "${TMPDIR:-/tmp}/hookd-store-XXXXXX")
    printf '%s' "$BENCH_SECRET" >"$dir/secret"
    cat >"$dir/hookd.json" <<JSON
{ "listen": [ { "address": "127.0.0.1:$PORT" } ],
  "io_threads": ${IO_THREADS:-0},
  "sources": [ { "name": "flagright", "path": "/webhooks/flagright",
                 "verify": { "scheme": "flagright", "secrets": [ { "file": "secret" } ] } } ],
  "store": { "path": "var/hookd.db", "durability": "$durability" },
  "admin": { "address": "127.0.0.1:$ADMIN" },
  "log": { "level": "info", "access": false } }
JSON
    hookd_start "$HERE/../build/core/hookd" "$dir" "$out/hookd-c$conns-$durability.log" 1
    echo "== hookd, durability $durability, $conns connections, 1 KiB distinct events, $DURATION"
    wrk -t1 -c"$conns" -d"$DURATION" --latency -s "$HERE/wrk/unique.lua" \
      "http://127.0.0.1:$PORT/webhooks/flagright" -- "$out/events.tsv" "$SIG_HEADER" \
      >"$out/hookd-c$conns-$durability.txt"
    grep RESULT "$out/hookd-c$conns-$durability.txt"
    m=$out/metrics-c$conns-$durability.txt
    curl -s "http://127.0.0.1:$ADMIN/metrics" >"$m"
    if [[ $durability == off ]]; then # in memory: only hookd can count them
      stored=$(awk '/^hookd_stored_events\{/ {n += $2} END {print n + 0}' "$m")
    else
      stored=$(sqlite3 "$dir/var/hookd.db" "SELECT count(*) FROM events")
    fi
    hookd_stop
    rm -rf "$dir"
    dir=

    hookd_rps=$(sed -n 's/^RESULT rps=\([0-9.]*\).*/\1/p' "$out/hookd-c$conns-$durability.txt")
    p99=$(sed -n 's/^RESULT .*p99_us=\([0-9]*\).*/\1/p' "$out/hookd-c$conns-$durability.txt")
    answered=$(sed -n 's/^RESULT .*requests=\([0-9]*\).*/\1/p' "$out/hookd-c$conns-$durability.txt")
    batches=$(metric hookd_store_batch_size_count "$m")
    events=$(metric hookd_store_batch_size_sum "$m")
    commit_s=$(metric hookd_store_commit_seconds_sum "$m")
    echo "store batches and commit latencies (c$conns, $durability):"
    grep -E '^hookd_store_(batch_size|commit_seconds)' "$m"
    summary+=("$(awk -v c="$conns" -v d="$durability" -v n="$nginx_rps" -v h="$hookd_rps" -v p="$p99" \
      -v a="$answered" -v s="$stored" -v b="$batches" -v e="$events" -v t="$commit_s" 'BEGIN {
        printf "| %d | %s | %.0f | %.0f | %.2f | %.1f | %d | %d | %.1f | %.2f |", c, d, n, h, h / n,
          p / 1000, a, s, e / b, t / b * 1000 }')")
  done
done

echo
echo "| conns | durability | nginx-w1 req/s | hookd req/s | ratio | hookd p99 ms | answered | stored | mean batch | mean commit ms |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
echo "results: $out"
