#!/usr/bin/env bash
# cost.sh -- instructions per request, counted by valgrind's callgrind: deterministic, unlike
# requests/s on two shared cores. For each case the server runs under callgrind twice, once
# taking N requests and once taking none (the same connections opened), from cost_client.py
# (exactly N requests over CONNS keep-alive connections); the difference over N is the cost of
# one request, every thread of the server included. nginx `return 200` (one process, the
# harness's configuration) is measured the same way, and each hookd case is printed with its
# ratio to it and its top functions.
#
#   N=20000 CONNS=32 bench/cost.sh          (N=2000 for a quick look; CASES="distinct" for
#                                            some of the cases only)
#
# Cases: dup (the same signed 1 KiB Flagright event: "duplicate" from memory after the first),
# dup-noaccess (the same with "log": {"access": false}), distinct (a new event each request,
# committed with fsync), large (the same 16 KiB event).
#
# How SHA-256 is counted: valgrind hides the CPU's SHA extensions, so under callgrind hookd
# runs its portable transform (about 4,000 instructions a 64-byte block, against ~373 with
# SHA-NI on the real CPU). The table gives the measured count and, beside it, the share of
# the portable transform, so the native figure is that minus the share plus ~373 a block.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
HOOKD=${HOOKD_BIN:-$ROOT/build/core/hookd}
HARNESS=${HOOKD_BENCH_HARNESS:-$ROOT/../shared/bench}
N=${N:-20000}
CONNS=${CONNS:-32}
export BENCH_SECRET=${BENCH_SECRET:-cost-bench-secret}
command -v valgrind >/dev/null || { echo "cost: valgrind is missing (apt-get install valgrind)" >&2; exit 2; }
command -v nginx >/dev/null || { echo "cost: nginx is missing: scripts/setup.sh --bench" >&2; exit 2; }
[[ -x $HOOKD ]] || cmake --build "$ROOT/build" -j"$(nproc)" >/dev/null
out=$ROOT/bench/out/cost-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

wait_port() { # up to 120 s: a server starts slowly under callgrind
  for _ in $(seq 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "cost: nothing listens on $1" >&2
  return 1
}

hookd_conf() { # DIR PORT ACCESS
  mkdir -p "$1/plugins.d"
  (umask 077 && printf '%s' "$BENCH_SECRET" >"$1/secret")
  cat >"$1/hookd.json" <<JSON
{
  "listen": [ { "address": "127.0.0.1:$2" } ],
  "io_threads": 1,
  "check_threads": 1,
  "sources": [ { "name": "flagright", "path": "/webhooks/flagright",
                 "verify": { "scheme": "flagright", "secrets": [ { "file": "secret" } ] } } ],
  "store": { "path": "var/hookd.db", "durability": "fsync" },
  "admin": false,
  "log": { "level": "$([[ $3 == true ]] && echo info || echo warn)", "access": $3 }
}
JSON
}

nginx_conf() { # DIR PORT
  mkdir -p "$1"
  sed -e "s|@WORKERS@|1|" -e "s|@PORT@|$2|" -e "s|@RUNDIR@|$1|g" \
    "$HARNESS/peers/nginx/nginx.conf.in" >"$1/nginx.conf"
}

# One run: SERVER (hookd|nginx), CASE, ACCESS, REQUESTS -> the instruction total on stdout.
run() {
  local server=$1 case=$2 access=$3 n=$4 port dir pid cg
  port=$(free_port)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/hookd-cost-XXXXXX")
  cg=$out/$server-$case-$n.callgrind
  if [[ $server == nginx ]]; then
    nginx_conf "$dir" "$port"
    valgrind --tool=callgrind --callgrind-out-file="$cg" \
      nginx -p "$dir" -e stderr -c "$dir/nginx.conf" -g 'daemon off; master_process off;' \
      2>"$out/$server-$case-$n.log" &
  else
    hookd_conf "$dir" "$port" "$access"
    valgrind --tool=callgrind --callgrind-out-file="$cg" "$HOOKD" -c "$dir" \
      2>"$out/$server-$case-$n.log" >/dev/null &
  fi
  pid=$!
  wait_port "$port"
  python3 "$HERE/cost_client.py" "$port" "$n" "$CONNS" "$([[ $server == nginx ]] && echo nginx || echo "$case")"
  kill -TERM "$pid"
  wait "$pid" || true
  rm -rf "$dir"
  awk '/^(summary|totals):/ {print $2; exit}' "$cg"
}

per_request() { # SERVER CASE ACCESS -> instructions per request
  local zero full
  zero=$(run "$@" 0)
  full=$(run "$@" "$N")
  echo $(((full - zero) / N))
}

# Self instructions per request of the N run's top functions (startup included, so rough).
# The function list only (--auto=no), read to its end (no SIGPIPE under pipefail).
top() { # FILE
  callgrind_annotate --inclusive=no --auto=no "$1" 2>/dev/null |
    awk -v n="$N" '/^ *[0-9,]+ \([ 0-9.]+%\) / && !/PROGRAM TOTALS/ && k < 12 {
      v = $1; gsub(",", "", v); f = $NF ~ /^\[/ ? $(NF-1) : $NF; sub(/.*\//, "", f)
      printf "    %8d  %s\n", v / n, f; k++ }'
}

sha_in() { # FILE -> instructions in the portable SHA-256 transform (mbedTLS's)
  callgrind_annotate --inclusive=no --auto=no "$1" 2>/dev/null |
    awk '/^ *[0-9,]+ \(.*mbedtls_internal_sha256_process/ {v = $1; gsub(",", "", v); s += v}
         END {printf "%d", s}'
}

sha_share() { # CASE -> instructions per request in the portable SHA-256 transform
  echo $((($(sha_in "$out/hookd-$1-$N.callgrind") - $(sha_in "$out/hookd-$1-0.callgrind")) / N))
}

echo "cost: N=$N requests over $CONNS connections per run; outputs in $out"
base=$(per_request nginx return200 off)
printf '\n| case | instructions / request | ratio to nginx | of which portable SHA-256 |\n|---|---|---|---|\n' | tee "$out/table.md"
printf '| nginx `return 200` | %d | 1.00 | - |\n' "$base" | tee -a "$out/table.md"
for spec in "dup true" "dup-noaccess false" "distinct true" "large true"; do
  set -- $spec
  [[ " ${CASES:-dup dup-noaccess distinct large} " == *" $1 "* ]] || continue
  case=${1%-noaccess}
  cost=$(per_request hookd "$case" "$2")
  cg=$out/hookd-$case-$N.callgrind
  share=$(sha_share "$case")
  [[ $1 == "$case" ]] || cp "$cg" "$out/hookd-$1-$N.callgrind" # keep both dup runs
  printf '| hookd %s | %d | %s | %s |\n' "$1" "$cost" \
    "$(awk -v c="$cost" -v b="$base" 'BEGIN {printf "%.2f", c / b}')" "$share" |
    tee -a "$out/table.md"
  { echo "top functions, hookd $1 (self instructions / request):"; top "$cg"; } >>"$out/top.txt"
done
echo
cat "$out/top.txt"
