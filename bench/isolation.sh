#!/usr/bin/env bash
# isolation.sh -- what "isolation": "process" costs: the same log instance (bundled log
# plugin, concurrency 2) run in hookd's threads and in worker processes, same run, fsync
# store, every request a distinct signed event. For each mode: requests answered per second
# (wrk), and events delivered per second -- every stored event through the log instance,
# from the start of the load until the last delivery is done.
#   DURATION=10s CONNS=32 MODES="thread process" bench/isolation.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HARNESS=${HOOKD_BENCH_HARNESS:-$(cd "$HERE/../../shared/bench" 2>/dev/null && pwd || true)}
if [[ -z $HARNESS || ! -f $HARNESS/bench.env ]]; then
  echo "bench: set HOOKD_BENCH_HARNESS to the shared bench folder (with bench.env)" >&2
  exit 2
fi
. "$HARNESS/bench.env"
. "$HERE/../scripts/lib/hookd-proc.sh"
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
MODES=${MODES:-thread process}
COUNT=${COUNT:-600000}
PORT=${PORT:-18292}
ADMIN=${ADMIN:-18293}
DRAIN_LIMIT_S=${DRAIN_LIMIT_S:-300} # a bound on waiting for deliveries, not a goal
out=${OUT:-$HERE/out}/isolation-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
[[ -x $HERE/../build/core/hookd ]] || { echo "bench: build first (scripts/test.sh)" >&2; exit 2; }

echo "== generating $COUNT distinct signed events"
python3 "$HERE/gen_unique.py" "$out/events.tsv" "$COUNT"
sync

dir=
trap 'hookd_stop; [[ -z $dir ]] || rm -rf "$dir"' EXIT
now() { date +%s.%N; }

summary=()
for mode in $MODES; do
  dir=$(mktemp -d "${TMPDIR:-/tmp}/hookd-isolation-XXXXXX")
  printf '%s' "$BENCH_SECRET" >"$dir/secret"
  mkdir -p "$dir/plugins.d"
  cat >"$dir/hookd.json" <<JSON
{ "listen": [ { "address": "127.0.0.1:$PORT" } ],
  "sources": [ { "name": "flagright", "path": "/webhooks/flagright",
                 "verify": { "scheme": "flagright", "secrets": [ { "file": "secret" } ] } } ],
  "store": { "path": "var/hookd.db", "durability": "fsync" },
  "plugin_dir": "$HERE/../build/plugins",
  "admin": { "address": "127.0.0.1:$ADMIN" },
  "log": { "level": "info", "access": false } }
JSON
  cat >"$dir/plugins.d/10-log.json" <<JSON
{ "plugin": "log", "name": "log", "concurrency": 2, "isolation": "$mode",
  "config": { "path": "$dir/events.jsonl", "fsync": false } }
JSON
  hookd_start "$HERE/../build/core/hookd" "$dir" "$out/hookd-$mode.log" 1
  echo "== hookd, log instance isolation $mode, $CONNS connections, $DURATION"
  t0=$(now)
  wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$HERE/wrk/unique.lua" \
    "http://127.0.0.1:$PORT/webhooks/flagright" -- "$out/events.tsv" "$SIG_HEADER" \
    >"$out/wrk-$mode.txt"
  grep RESULT "$out/wrk-$mode.txt"
  db=$dir/var/hookd.db
  for _ in $(seq $((DRAIN_LIMIT_S * 10))); do
    left=$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE state != 'done'" 2>/dev/null || echo 1)
    [[ $left == 0 ]] && break
    sleep 0.1
  done
  t1=$(now)
  delivered=$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE state = 'done'")
  lines=$(wc -l <"$dir/events.jsonl")
  hookd_stop
  rm -rf "$dir"
  dir=
  rps=$(sed -n 's/^RESULT rps=\([0-9.]*\).*/\1/p' "$out/wrk-$mode.txt")
  summary+=("$(awk -v m="$mode" -v r="$rps" -v d="$delivered" -v l="$lines" -v t0="$t0" \
    -v t1="$t1" -v left="$left" 'BEGIN {
      printf "| %s | %.0f | %d | %d | %.0f | %s |", m, r, d, l, d / (t1 - t0),
        left == 0 ? "all done" : left " not done" }')")
done

echo
echo "| isolation | answered req/s | delivered | log lines | delivered/s | drained |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
echo "results: $out"
