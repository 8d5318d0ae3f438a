#!/usr/bin/env bash
# testssl.sh -- scans hookd's TLS listener with Debian's testssl.sh (package testssl.sh),
# on loopback only. Slow (a few minutes): run it by hand, not in CI.
#
#   scripts/testssl.sh [BUILD_DIR]      default BUILD_DIR: build
#
# Starts hookd with a TLS listener on 127.0.0.1 and a freshly generated self-signed
# certificate (trusted for the scan with --add-ca), runs testssl against it, stops hookd, and
# prints the findings above LOW. Everything goes to OUT (default bench/out/testssl-STAMP,
# gitignored): report.txt (testssl's full output), report.json, findings.txt, hookd.log.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HOOKD=${HOOKD_BIN:-$ROOT/${1:-build}/core/hookd}
OUT=${OUT:-$ROOT/bench/out/testssl-$(date +%Y%m%d-%H%M%S)}

[[ -x $HOOKD ]] || { echo "testssl: $HOOKD not found: build first (cmake -S . -B build && make -C build)" >&2; exit 1; }
command -v testssl >/dev/null || { echo "testssl: testssl not found: run scripts/setup.sh --bench" >&2; exit 1; }

. "$ROOT/scripts/lib/hookd-proc.sh"
work=$(mktemp -d)
trap 'hookd_stop; rm -rf "$work"' EXIT

mkdir -p "$OUT" "$work/conf/plugins.d"
"$ROOT/scripts/gen-cert.sh" "$work/conf/tls" >/dev/null
cat >"$work/conf/hookd.json" <<EOF
{
  "listen": [{"address": "127.0.0.1:0",
              "tls": {"cert": "tls/cert.pem", "key": "tls/key.pem"}}],
  "io_threads": 2,
  "log": {"level": "info", "access": false},
  "store": {"durability": "off"},
  "plugin_dir": "$ROOT/build/plugins",
  "sources": [{"name": "flagright", "path": "/webhooks/flagright",
               "verify": {"scheme": "flagright", "secrets": [{"env": "TESTSSL_SECRET"}]}}]
}
EOF

hookd_start "$HOOKD" "$work/conf" "$OUT/hookd.log" 1 TESTSSL_SECRET=scan-only-secret
port=${HOOKD_PORTS[0]}
echo "testssl: scanning hookd on 127.0.0.1:$port (report in $OUT)"

testssl --quiet --color 0 --warnings off --ip 127.0.0.1 --add-ca "$work/conf/tls/cert.pem" \
  --logfile "$OUT/report.txt" --jsonfile "$OUT/report.json" "localhost:$port" >/dev/null || true

python3 - "$OUT/report.json" >"$OUT/findings.txt" <<'EOF'
import json, sys
rank = {"MEDIUM": 1, "HIGH": 2, "CRITICAL": 3}
found = [f for f in json.load(open(sys.argv[1])) if f.get("severity") in rank]
for f in sorted(found, key=lambda f: -rank[f["severity"]]):
    print("%-8s %-28s %s" % (f["severity"], f["id"], f["finding"]))
print("%d finding(s) above LOW" % len(found))
EOF
cat "$OUT/findings.txt"
