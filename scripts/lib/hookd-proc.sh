# hookd-proc.sh -- sourced by the scripts and benchmarks that run a throwaway hookd.
#   hookd_start BIN CONFDIR LOG NPORTS [NAME=VALUE ...]
#       starts BIN -c CONFDIR (with the extra environment) writing to LOG, and returns once the
#       log says "hookd started" with NPORTS listeners (the configuration must log at info or
#       finer). Sets HOOKD_PID and HOOKD_PORTS, the listeners' ports in configuration order.
#       Fails, with the log on stderr, if hookd exits or takes HOOKD_START_TIMEOUT_S (20).
#   hookd_stop
#       SIGTERM to that hookd, if it still runs, and waits for it.
HOOKD_PID=
HOOKD_PORTS=()

hookd_start() {
  local bin=$1 conf=$2 log=$3 want=$4
  shift 4
  env "$@" "$bin" -c "$conf" >"$log" 2>&1 &
  HOOKD_PID=$!
  for _ in $(seq $((${HOOKD_START_TIMEOUT_S:-20} * 10))); do
    mapfile -t HOOKD_PORTS < <(sed -n 's/.*msg=listening address=[^ ]*:\([0-9]*\) .*/\1/p' "$log")
    ((${#HOOKD_PORTS[@]} >= want)) && grep -q "hookd started" "$log" && return 0
    kill -0 "$HOOKD_PID" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "hookd did not start within ${HOOKD_START_TIMEOUT_S:-20} s (log: $log)" >&2
  return 1
}

hookd_stop() {
  if [[ -n $HOOKD_PID ]] && kill -0 "$HOOKD_PID" 2>/dev/null; then
    kill -TERM "$HOOKD_PID"
    wait "$HOOKD_PID" || true
  fi
  HOOKD_PID=
}
