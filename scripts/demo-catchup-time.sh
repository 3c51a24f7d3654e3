#!/usr/bin/env bash
# Seconds from `qingyun start --demo` on a fresh data dir to its log line "caught up with the
# clock" (today backfilled up to now), with the node's CPU seconds and the load average beside
# them: the machine may be shared. Ports 31880-31884 by default; the data dir is removed after.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
log="$dir.log"
echo "load before: $(uptime)"
t0=$(date +%s%N)
QINGYUN_DATA_DIR="$dir" QINGYUN_MQTT_PORT="${QINGYUN_MQTT_PORT:-31883}" \
  QINGYUN_MQTT_WS_PORT="${QINGYUN_MQTT_WS_PORT:-31884}" QINGYUN_HTTP_PORT="${QINGYUN_HTTP_PORT:-31880}" \
  node --max-semi-space-size=64 bin/qingyun.mjs start --demo >"$log" 2>&1 &
pid=$!
until grep -q 'caught up with the clock' "$log"; do
  kill -0 "$pid" 2>/dev/null || { echo "the node stopped; see $log"; exit 1; }
  sleep 0.2
done
t1=$(date +%s%N)
echo "caught up after $(((t1 - t0) / 1000000)) ms; node CPU $(ps -o times= -p "$pid") s"
grep -m1 'caught up with the clock' "$log"
echo "load after:  $(uptime)"
kill -TERM "$pid"
wait "$pid"
rm -rf "$dir" "$log"
