#!/usr/bin/env bash
# `npm start`: set up what is missing, then run the whole system (`qingyun start`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure.sh
ensure_node
ensure_npm_deps
# No QINGYUN_INFLUX_URL: qingyun runs its own InfluxDB, so influxd must be on PATH.
[ -n "${QINGYUN_INFLUX_URL:-}" ] || ensure_influxd
# V8 lets the old generation grow towards a quarter of the machine's memory before it collects
# in earnest; under 2,000 msg/s that is garbage, not data (README, "Limits and protections").
# A NODE_OPTIONS of your own replaces this default.
export NODE_OPTIONS="${NODE_OPTIONS:---max-old-space-size=384}"
exec node bin/qingyun.mjs start "$@"
