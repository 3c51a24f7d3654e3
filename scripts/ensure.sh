# Shared set-up for scripts/start.sh and scripts/test.sh: install what is missing, or say
# exactly what to install. Sourced, not run.

die() { echo "qingyun: $*" >&2; exit 1; }

ensure_node() {
  command -v node >/dev/null 2>&1 || die "Node.js >= 20 is required: https://nodejs.org (Debian: apt-get install -y nodejs npm)"
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node.js >= 20 is required; this is $(node --version)"
}

ensure_npm_deps() {
  # $1: "runtime" (npm start: production dependencies only, as in the Docker image) or "all"
  # (npm test: the dev dependencies too). Installs when node_modules is missing, older than the
  # lock file, or holds only the runtime set and all is wanted; node_modules/.qingyun-deps says
  # which set is there. A full set serves `npm start` as well, so it is never pruned here.
  local want=${1:-all} stamp=node_modules/.qingyun-deps have=""
  [ -f "$stamp" ] && have=$(cat "$stamp")
  [ -d node_modules ] && [ -z "$have" ] && have=all # installed before the stamp existed
  [ "$have" = all ] && want=all
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ "$have" != "$want" ]; then
    local omit=()
    [ "$want" = runtime ] && omit=(--omit=dev)
    if [ ! -d node_modules ]; then
      # A clean install of exactly what the lock file pins (it lists every optional platform
      # package, so `npm ci` accepts it on any OS).
      echo "qingyun: installing npm dependencies (npm ci${omit[*]:+ ${omit[*]}})" >&2
      npm ci "${omit[@]}" --no-audit --no-fund >&2
    else
      echo "qingyun: updating npm dependencies (npm install${omit[*]:+ ${omit[*]}})" >&2
      npm install "${omit[@]}" --no-audit --no-fund >&2
    fi
    echo "$want" >"$stamp"
  fi
}

# apt_install PACKAGE... : on Debian/Ubuntu as root (or with passwordless sudo), install;
# otherwise print the command to run and fail.
apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; fi
  fi
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
    echo "qingyun: installing $* (apt-get)" >&2
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
  else
    die "please install: $* (Debian/Ubuntu: sudo apt-get install -y $*)"
  fi
}

ensure_influxd() {
  command -v influxd >/dev/null 2>&1 && return 0
  apt_install influxdb
  command -v influxd >/dev/null 2>&1 || die "influxd still not on PATH after installing influxdb"
}

ensure_mosquitto_clients() {
  command -v mosquitto_pub >/dev/null 2>&1 || apt_install mosquitto-clients
}

ensure_haproxy() {
  # The compose test validates ops/haproxy.cfg with `haproxy -c`; Debian installs it in /usr/sbin.
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || apt_install haproxy
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || die "haproxy still missing after installing it"
}

ensure_mosquitto() {
  # The broker itself (bench:ack compares against it); Debian installs it in /usr/sbin, which
  # some PATHs lack.
  command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || apt_install mosquitto
  command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || die "mosquitto still missing after installing it"
}

ensure_web_build() {
  # The operations page is built by Vite into dashboard-api/web/dist (docs/web.md). Build when
  # it is missing or anything it is built from is newer than its index.html (a fresh clone, a
  # pull, an edit; the page also bundles the projection's arrival profile from fold/); the
  # server answers 503 on the page's routes without a build.
  local web=dashboard-api/web
  local stamp=$web/dist/index.html
  if [ ! -f "$stamp" ] || [ -n "$(find "$web/src" "$web/public" "$web/index.html" "$web/vite.config.ts" \
    dashboard-api/fold/projection.ts package-lock.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    # The build tools (vite, vue, …) are dev dependencies: `npm start` installs the runtime set,
    # so a build from a fresh clone needs the full set first (kept afterwards, as for npm test).
    [ -x node_modules/.bin/vite ] || ensure_npm_deps all
    echo "qingyun: building the operations page (npm run build)" >&2
    npm run --silent build >&2
  fi
}

ensure_redis_server() {
  # The cluster tests start a private Redis (test/harness/redis.ts); Debian puts it in /usr/bin.
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  command -v redis-server >/dev/null 2>&1 || die "redis-server still missing after installing it"
}
