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
  # Install when node_modules is missing or older than the lock file. `npm install`, not
  # `npm ci`: vite lists an optional Windows-only package the registry does not serve, which
  # npm leaves out of the lock file and `npm ci` then refuses; the lock file still pins
  # every version.
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "qingyun: installing npm dependencies (npm install)" >&2
    npm install --no-audit --no-fund >&2
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

ensure_mosquitto() {
  # The broker itself (bench:ack compares against it); Debian installs it in /usr/sbin, which
  # some PATHs lack.
  command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || apt_install mosquitto
  command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || die "mosquitto still missing after installing it"
}

ensure_redis_server() {
  # The cluster tests start a private Redis (test/harness/redis.ts); Debian puts it in /usr/bin.
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  command -v redis-server >/dev/null 2>&1 || die "redis-server still missing after installing it"
}
