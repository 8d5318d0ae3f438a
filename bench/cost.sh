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
# committed with fsync), large (the same 16 KiB event), resend (the dup event again, after a
# restart: the store had it before hookd started, its table of recent events did not).
#
# How SHA-256 is counted: valgrind hides the CPU's SHA extensions, so under callgrind hookd
# runs its portable branch of sha256.c's blocks() (mbedTLS's transform, ~4,000 instructions a
# 64-byte block with the wiping around it) instead of the SHA-NI one. The table gives the
# measured count, that branch's share (inclusive), and the native estimate: the count without
# the share and with the SHA-NI branch instead, NATIVE_BLOCK (373) instructions a block plus
# NATIVE_CALL (23) a call of blocks(), as counted on the real CPU (the reference machine has
# no hardware counters in its VM; these come from the issue that asked for this script).
# valgrind also counts a `rep stos`/`rep movs` once per iteration where the CPU counts it
# once, so glibc's large memset/memcpy weigh more here than they cost.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
HOOKD=${HOOKD_BIN:-$ROOT/build/core/hookd}
HARNESS=${HOOKD_BENCH_HARNESS:-$ROOT/../shared/bench}
N=${N:-20000}
NATIVE_BLOCK=373
NATIVE_CALL=23
CONNS=${CONNS:-32}
export BENCH_SECRET=${BENCH_SECRET:-cost-bench-secret}
[[ -f $HARNESS/peers/nginx/nginx.conf.in ]] ||
  { echo "cost: set HOOKD_BENCH_HARNESS to the shared bench folder (nginx's configuration)" >&2; exit 2; }
"$ROOT/scripts/setup.sh" --bench >&2 # valgrind and nginx
if [[ ! -x $HOOKD ]]; then # the normal build, as scripts/test.sh makes it
  cmake -S "$ROOT" -B "$ROOT/build" >/dev/null
  cmake --build "$ROOT/build" -j"$(nproc)" >/dev/null
fi
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

client_case() { # SERVER CASE -> what cost_client.py sends
  case $1-$2 in nginx-*) echo nginx ;; *-resend) echo dup ;; *) echo "$2" ;; esac
}

# The resend case's store: hookd (not under valgrind) takes the event once and stops.
preload() { # DIR PORT
  local pid
  "$HOOKD" -c "$1" 2>/dev/null >/dev/null &
  pid=$!
  wait_port "$2"
  python3 "$HERE/cost_client.py" "$2" 1 1 dup
  kill -TERM "$pid"
  wait "$pid" || true
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
    [[ $case == resend ]] && preload "$dir" "$port"
    valgrind --tool=callgrind --callgrind-out-file="$cg" "$HOOKD" -c "$dir" \
      2>"$out/$server-$case-$n.log" >/dev/null &
  fi
  pid=$!
  wait_port "$port"
  python3 "$HERE/cost_client.py" "$port" "$n" "$CONNS" "$(client_case "$server" "$case")"
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

# "INSTRUCTIONS BLOCKS CALLS" of the portable SHA-256 branch in FILE: blocks()'s inclusive
# instructions, the transforms it ran, and the calls of blocks() itself.
portable_sha() { # FILE
  local incl
  incl=$(callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$1" 2>/dev/null |
    awk '/^ *[0-9,]+ \(.*sha256\.c:blocks / {v = $1; gsub(",", "", v); s += v}
         END {printf "%.0f", s}')
  callgrind_annotate --tree=caller --threshold=100 --auto=no "$1" 2>/dev/null | awk -v incl="$incl" '
    function calls(line,  n) { n = line; sub(/.*\(/, "", n); sub(/x\).*/, "", n); gsub(",", "", n); return n }
    / < .*sha256\.c:blocks / { via_blocks = calls($0) }
    / < / { callers[++k] = $0; next }
    /\* .*mbedtls_internal_sha256_process / { blocks = via_blocks }
    /\* .*sha256\.c:blocks / { for (i = 1; i <= k; i++) ncalls += calls(callers[i]) }
    { k = 0; via_blocks = 0 }
    END { printf "%.0f %.0f %.0f", incl, blocks, ncalls }'
}

# "SHARE NATIVE" per request for a CASE that cost COST: the portable branch's instructions,
# and the cost with the SHA-NI branch in its place.
native() { # CASE COST
  local -a full zero
  read -r -a full <<<"$(portable_sha "$out/hookd-$1-$N.callgrind")"
  read -r -a zero <<<"$(portable_sha "$out/hookd-$1-0.callgrind")"
  awk -v c="$2" -v n="$N" -v i="$((full[0] - zero[0]))" -v b="$((full[1] - zero[1]))" \
    -v k="$((full[2] - zero[2]))" -v nb="$NATIVE_BLOCK" -v nc="$NATIVE_CALL" \
    'BEGIN {printf "%d %d", i / n, c - i / n + (b * nb + k * nc) / n}'
}

echo "cost: N=$N requests over $CONNS connections per run; outputs in $out"
base=$(per_request nginx return200 off)
ratio() { awk -v c="$1" -v b="$base" 'BEGIN {printf "%.2f", c / b}'; }
printf '\n| case | instructions / request (callgrind) | portable SHA-256 share | native estimate | × nginx (native) |\n|---|---|---|---|---|\n' | tee "$out/table.md"
printf '| nginx `return 200` | %d | - | %d | 1.00 |\n' "$base" "$base" | tee -a "$out/table.md"
for spec in "dup true" "dup-noaccess false" "distinct true" "large true" "resend true"; do
  set -- $spec
  [[ " ${CASES:-dup dup-noaccess distinct large resend} " == *" $1 "* ]] || continue
  case=${1%-noaccess}
  cost=$(per_request hookd "$case" "$2")
  cg=$out/hookd-$case-$N.callgrind
  read -r share est <<<"$(native "$case" "$cost")"
  if [[ $1 != "$case" ]]; then # keep both dup runs
    cp "$cg" "$out/hookd-$1-$N.callgrind"
    cp "$out/hookd-$case-0.callgrind" "$out/hookd-$1-0.callgrind"
  fi
  printf '| hookd %s | %d | %d | %d | %s |\n' "$1" "$cost" "$share" "$est" "$(ratio "$est")" |
    tee -a "$out/table.md"
  { echo "top functions, hookd $1 (self instructions / request):"; top "$cg"; } >>"$out/top.txt"
done
echo
cat "$out/top.txt"
