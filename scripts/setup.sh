#!/usr/bin/env bash
# setup.sh -- installs every Debian 12 package hookd needs to build, run, test and benchmark.
# Idempotent and non-interactive; run as root (or with sudo).
#
#   scripts/setup.sh            build + run + test dependencies
#   scripts/setup.sh --bench    also the benchmark peers (nginx, webhook, flask, wrk) and
#                               valgrind (bench/cost.sh)
set -euo pipefail

BUILD=(build-essential cmake pkg-config libuv1-dev node-llhttp libmbedtls-dev libsystemd-dev
       libjansson-dev libsqlite3-dev)
RUN=(openssl sqlite3 ca-certificates)
TEST=(libcmocka-dev python3 python3-pytest curl clang libclang-rt-14-dev clang-format
      iproute2 procps prometheus systemd fakeroot dpkg-dev man-db)
BENCH=(nginx webhook python3-flask gunicorn wrk testssl.sh util-linux nodejs valgrind)

want=("${BUILD[@]}" "${RUN[@]}" "${TEST[@]}")
if [[ ${1:-} == --bench ]]; then
  want+=("${BENCH[@]}")
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#want[@]} packages already installed"
  exit 0
fi

SUDO=()
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: run as root (missing: ${missing[*]})" >&2; exit 1; }
  SUDO=(sudo)
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
