#!/usr/bin/env bash
# target.sh -- starts hookd the way the shared benchmark harness starts a peer: on
# 127.0.0.1:$PORT, verifying $SIG_HEADER with $BENCH_SECRET (Flagright scheme), in a
# throwaway configuration directory. The harness stops it with SIGTERM.
#   HOOKD_BENCH_DURABILITY  off (default) | os | fsync   the store's durability
#   HOOKD_BENCH_THREADS     io_threads (default 1: wrk takes one of this machine's two cores;
#                           large bodies are checked on the check threads anyway)
#   HOOKD_BENCH_CHECK_THREADS  check_threads (default 0 = one per core)
#   HOOKD_BENCH_PLUGIN      a plugin name to enable for every event (default: none)
#   HOOKD_BENCH_TLS         1: the listener is TLS (cert made with scripts/gen-cert.sh)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
HOOKD=${HOOKD_BIN:-$ROOT/build/core/hookd}
dir=$(mktemp -d "${TMPDIR:-/tmp}/hookd-bench-XXXXXX")
mkdir -p "$dir/plugins.d"
umask 077
printf '%s' "$BENCH_SECRET" >"$dir/secret"
tls=""
if [[ ${HOOKD_BENCH_TLS:-0} == 1 ]]; then
  "$ROOT/scripts/gen-cert.sh" "$dir/tls" >/dev/null
  tls=', "tls": {"cert": "tls/cert.pem", "key": "tls/key.pem"}'
fi
cat >"$dir/hookd.json" <<JSON
{
  "listen": [ { "address": "127.0.0.1:$PORT"$tls } ],
  "io_threads": ${HOOKD_BENCH_THREADS:-1},
  "check_threads": ${HOOKD_BENCH_CHECK_THREADS:-0},
  "sources": [ { "name": "flagright", "path": "/webhooks/flagright",
                 "verify": { "scheme": "flagright", "secrets": [ { "file": "secret" } ] } } ],
  "plugin_dir": "$ROOT/build/plugins",
  "store": { "path": "var/hookd.db", "durability": "${HOOKD_BENCH_DURABILITY:-off}" },
  "admin": false,
  "log": { "level": "warn", "access": false }
}
JSON
if [[ -n ${HOOKD_BENCH_PLUGIN:-} ]]; then
  printf '{"plugin": "%s", "name": "bench", "concurrency": 2, "queue_max": 100000}\n' \
    "$HOOKD_BENCH_PLUGIN" >"$dir/plugins.d/10-bench.json"
fi
trap 'rm -rf "$dir"' EXIT
"$HOOKD" -c "$dir" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; rm -rf "$dir"' EXIT TERM INT
wait $pid
