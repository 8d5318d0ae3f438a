#!/usr/bin/env bash
# peers.sh -- hookd as the target row of the shared peer benchmark (nginx, the Go webhook
# tool, Node, Flask), measured in the same run on this machine.
#   bench/peers.sh                      all peers, rows 32:1k 256:1k 32:16k (~7 min)
#   PEERS="nginx-w1 node-cluster2" bench/peers.sh      fewer peers
# Every knob of the harness applies (see its README); HOOKD_BENCH_* go to bench/target.sh.
# The harness sends one event over and over: after the first, hookd answers "duplicate",
# which still verifies the signature, reads the envelope and asks the store.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HARNESS=${HOOKD_BENCH_HARNESS:-$(cd "$HERE/../../shared/bench" 2>/dev/null && pwd || true)}
if [[ -z $HARNESS || ! -x $HARNESS/peers.sh ]]; then
  echo "bench: set HOOKD_BENCH_HARNESS to the shared bench folder (with peers.sh)" >&2
  exit 2
fi
"$HERE/../scripts/setup.sh" --bench
[[ -x $HERE/../build/core/hookd ]] || { echo "bench: build first (scripts/test.sh)" >&2; exit 2; }
export HOOKD_BENCH_DIR=$HERE
TARGET_CMD='exec "$HOOKD_BENCH_DIR/target.sh"' TARGET_PORT=${TARGET_PORT:-18200} \
  TARGET_PATH=/webhooks/flagright TARGET_NAME=${TARGET_NAME:-hookd} \
  OUT=${OUT:-$HERE/out} exec "$HARNESS/peers.sh"
