#!/usr/bin/env bash
# send-event.sh -- signs one Flagright event with the sample configuration's secret and posts
# it to the running hookd, as Flagright would.
#   scripts/send-event.sh [EVENT] [URL]
# EVENT is a file holding one JSON event, or N for the Nth event of
# tests/data/flagright-events.jsonl (default 1: the first). URL defaults to the sample
# configuration's plain-HTTP source.
set -euo pipefail
cd "$(dirname "$0")/.."
url=${2:-http://127.0.0.1:8080/webhooks/flagright}
event=${1:-1}
if [[ $event =~ ^[0-9]+$ ]]; then
  body=$(sed -n "${event}p" tests/data/flagright-events.jsonl)
  [[ -n $body ]] || { echo "send-event: tests/data/flagright-events.jsonl has no event $event" >&2; exit 2; }
else
  body=$(cat "$event")
fi
secret=$(cat conf/secrets/flagright)
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -hex | awk '{print $NF}')
tls=()
[[ $url == https://* ]] && tls=(--cacert conf/tls/cert.pem)
curl -sS "${tls[@]}" -X POST "$url" -H 'Content-Type: application/json' \
  -H "x-flagright-signature: $sig" --data-binary "$body"
echo
