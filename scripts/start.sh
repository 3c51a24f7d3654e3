#!/usr/bin/env bash
# `npm start`: set up what is missing, then run the whole system (`qingyun start`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure.sh
ensure_node
ensure_npm_deps runtime
ensure_web_build
# No QINGYUN_INFLUX_URL: qingyun runs its own InfluxDB, so influxd must be on PATH.
[ -n "${QINGYUN_INFLUX_URL:-}" ] || ensure_influxd
# A larger young generation for the node: see node/heap.ts and README "Running in production".
exec node --max-semi-space-size=64 bin/qingyun.mjs start "$@"
