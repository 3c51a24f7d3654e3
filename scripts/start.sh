#!/usr/bin/env bash
# `npm start`: set up what is missing, then run the whole system (`qingyun start`).
set -euo pipefail
cd "$(dirname "$0")/.."
# The node's young generation (node/heap.ts; README "Running in production", Memory): node's own
# flag, so it is checked here, before anything is installed or started.
semi_space="${QINGYUN_SEMI_SPACE_MIB:-64}"
if ! [[ "$semi_space" =~ ^[1-9][0-9]{0,3}$ ]] || ((semi_space > 1024)); then
  echo "npm start: QINGYUN_SEMI_SPACE_MIB must be a whole number of MiB from 1 to 1024 (got '$semi_space')" >&2
  exit 2
fi
. scripts/ensure.sh
ensure_node
ensure_npm_deps runtime
ensure_web_build
# No QINGYUN_INFLUX_URL: qingyun runs its own InfluxDB, so influxd must be on PATH.
[ -n "${QINGYUN_INFLUX_URL:-}" ] || ensure_influxd
exec node --max-semi-space-size="$semi_space" bin/qingyun.mjs start "$@"
