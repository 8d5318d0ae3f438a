#!/usr/bin/env bash
# send-event.sh -- signs one Flagright event with the sample configuration's secret and posts
# it to the running hookd, as Flagright would.
#   scripts/send-event.sh [EVENT_JSON_FILE] [URL]
# Without a file, the first event of tests/data/flagright-events.jsonl is sent.
set -euo pipefail
cd "$(dirname "$0")/.."
url=${2:-http://127.0.0.1:8080/webhooks/flagright}
if [[ -n ${1:-} ]]; then body=$(cat "$1"); else body=$(head -n1 tests/data/flagright-events.jsonl); fi
# (an empty first argument means the default event, so a URL can still be given)
secret=$(cat conf/secrets/flagright)
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -hex | awk '{print $NF}')
tls=()
[[ $url == https://* ]] && tls=(--cacert conf/tls/cert.pem)
curl -sS "${tls[@]}" -X POST "$url" -H 'Content-Type: application/json' \
  -H "x-flagright-signature: $sig" --data-binary "$body"
echo
