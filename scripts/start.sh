#!/usr/bin/env bash
# start.sh -- the one command that takes a fresh Debian 12 machine to a running hookd:
# installs the Debian packages (scripts/setup.sh), builds, installs hookd, hookd-plugin-run,
# the bundled plugins and the plugin SDK under /usr/local (HOOKD_PREFIX to change it),
# creates the sample configuration's secret (and TLS certificate) if they are missing, checks
# the configuration, and runs hookd on conf/ in the foreground. Send it a signed event with
# scripts/send-event.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${HOOKD_PREFIX:-/usr/local}
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build build -j"$(nproc)"
cmake --install build >/dev/null
echo "start: installed hookd and hookd-plugin-run in $prefix/bin, the bundled plugins in" \
  "$prefix/lib/hookd/plugins and the plugin SDK"

umask 077
mkdir -p conf/secrets conf/var
if [[ ! -s conf/secrets/flagright ]]; then
  # A random secret for trying hookd out; put the real one from Flagright's console here.
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >conf/secrets/flagright)
  echo "start: created conf/secrets/flagright (a random demo secret)"
fi
if [[ -x scripts/gen-cert.sh ]]; then
  scripts/gen-cert.sh conf/tls >/dev/null
fi

"$prefix/bin/hookd" -t -c conf
exec "$prefix/bin/hookd" -c conf
