#!/usr/bin/env bash
# `npm test`: set up what is missing, then typecheck, lint and run every test on real parts.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure.sh
ensure_node
ensure_npm_deps all
ensure_web_build
# The suite finds InfluxDB via QINGYUN_TEST_INFLUX_URL, else a local influxd, else
# testcontainers; the outage test always stops and restarts an influxd of its own.
ensure_influxd
ensure_mosquitto_clients
ensure_haproxy # the compose test runs `haproxy -c` on ops/haproxy.cfg
ensure_redis_server  # the cluster tests run a private Redis
command -v openssl >/dev/null 2>&1 || apt_install openssl  # the TLS test makes a self-signed certificate
# The page is tested in Debian's chromium (never a downloaded browser), with a CJK font so the
# Chinese interface renders in screenshots.
[ -x /usr/bin/chromium ] || apt_install chromium
fc-list 2>/dev/null | grep -qi 'wqy\|noto sans cjk' || apt_install fonts-wqy-microhei

echo "== typecheck" >&2
npx tsc --noEmit -p .
npx tsc --noEmit -p bench
npx vue-tsc --noEmit -p dashboard-api/web
echo "== lint" >&2
npx eslint .
echo "== format" >&2
npx prettier --check . >&2
echo "== tests" >&2
mkdir -p test-output
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-output/vitest.json "$@" || status=$?
# Every benchmark once in smoke mode (seconds; nothing judged but that it runs), so none rots.
# Skipped when arguments select particular tests.
if [ $# -eq 0 ]; then
  echo "== benchmarks (smoke)" >&2
  node --import tsx bench/smoke.ts || status=$?
fi
# A plain closing line that any CI can read.
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-output/vitest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $status
