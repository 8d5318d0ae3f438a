#!/usr/bin/env bash
# gen-cert.sh -- a self-signed ECDSA P-256 certificate and key for "localhost", for trying
# hookd's TLS listener locally (not for production: use a certificate from your CA).
#
#   scripts/gen-cert.sh [DIR]     default DIR: conf/tls (gitignored)
#
# Writes DIR/cert.pem and DIR/key.pem (mode 0600). Idempotent: an existing pair is kept.
# Point a listener at them with "tls": {"cert": "tls/cert.pem", "key": "tls/key.pem"}, and
# clients with `curl --cacert DIR/cert.pem https://localhost:PORT/...`.
set -euo pipefail

DAYS=365
dir=${1:-"$(cd "$(dirname "$0")/.." && pwd)/conf/tls"}
cert=$dir/cert.pem
key=$dir/key.pem

if [[ -e $cert && -e $key ]]; then
  echo "gen-cert: keeping the existing pair in $dir"
  exit 0
fi
if [[ -e $cert || -e $key ]]; then
  echo "gen-cert: $dir holds only half a pair ($( [[ -e $cert ]] && echo cert.pem || echo key.pem));" \
       "remove it or add its other half" >&2
  exit 1
fi
command -v openssl >/dev/null || { echo "gen-cert: openssl not found: run scripts/setup.sh" >&2; exit 1; }

mkdir -p "$dir"
umask 077 # the key is never readable by others, not even for a moment
tmp=$(mktemp -d "$dir/.gen-cert.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days "$DAYS" \
  -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
  -addext "keyUsage=critical,digitalSignature" \
  -addext "extendedKeyUsage=serverAuth" \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
chmod 600 "$tmp/key.pem"
chmod 644 "$tmp/cert.pem"
mv "$tmp/key.pem" "$key"
mv "$tmp/cert.pem" "$cert"
echo "gen-cert: wrote $cert and $key (ECDSA P-256, CN=localhost, $DAYS days)"
