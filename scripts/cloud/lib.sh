# shellcheck shell=bash
# Shared settings and helpers for the ncli test cloud (sourced by up.sh, down.sh, seed-servers.sh).
#
# Everything the cloud creates lives under $NCLI_CLOUD_DIR (default /tmp/ncli-cloud):
#   etc/   rendered config files        logs/  one log per service
#   run/   <service>.pid + sockets      data/  databases, images, bootstrap markers
# Every service listens on 127.0.0.1 only.

CLOUD_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)   # this checkout's scripts/cloud
CLOUD_DIR=${NCLI_CLOUD_DIR:-/tmp/ncli-cloud}
LOG_DIR=$CLOUD_DIR/logs
RUN_DIR=$CLOUD_DIR/run
ETC_DIR=$CLOUD_DIR/etc
DATA_DIR=$CLOUD_DIR/data
# The Python code the services run is a copy of the checkout's py/ in the state folder
# (install_py), so that no service names a checkout path: a second checkout (another clone,
# CI beside a development cloud) with the same code changes nothing, and a deleted checkout
# leaves every service running.
PY_SRC=$CLOUD_SCRIPTS/py
PY_DIR=$CLOUD_DIR/py
TEMPLATE_DIR=$CLOUD_SCRIPTS/templates

# Debian's interpreter: `python3` on PATH may be a pyenv shim without the OpenStack packages.
PY=/usr/bin/python3
unset PYTHONPATH PYTHONHOME
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ folders in the repo

# One password for every user (admin, demo and the service users).
PASSWORD=secret

# Ports (127.0.0.1).
KEYSTONE_PORT=5000
PLACEMENT_PORT=8778
GLANCE_PORT=9292
NEUTRON_PORT=9696
CINDER_PORT=8776
CINDER_HOST=devcloud-cinder     # cinder-volume's backend is $CINDER_HOST@fake (pool #fake)
NOVA_PORT=8774
NOVNC_PORT=6080
SERIAL_PROXY_PORT=6083
SPICE_PROXY_PORT=6082        # nova-spicehtml5proxy
SPICE_PORT=5930              # the QEMU whose SPICE server is every server's spice console
VNC_DISPLAY=1
VNC_PORT=$((5900 + VNC_DISPLAY))
SERIAL_SERVICE_PORT=10001
# Two fake compute hosts. New servers go to the first unless asked (py/devcloud_weigher.py);
# the second has its own Xvnc and serial port (and shares the QEMU of the SPICE consoles).
COMPUTE1_HOST=devcloud-compute
COMPUTE2_HOST=compute-2
VNC2_DISPLAY=2
VNC2_PORT=$((5900 + VNC2_DISPLAY))
SERIAL2_SERVICE_PORT=10002
# How long a live migration takes in the fake driver (s); per server: metadata
# devcloud_live_migration_seconds. Soft-deleted (soft-*) servers are reclaimed after this (s).
LIVE_MIGRATION_SECONDS=${NCLI_CLOUD_LIVE_MIGRATION_SECONDS:-4}
RECLAIM_INSTANCE_INTERVAL=60
RABBIT_PORT=5672
RABBIT_DIST_PORT=25672
EPMD_PORT=4369
# nginx, the TLS front (https / wss) of keystone, nova-api and the three console proxies
KEYSTONE_TLS_PORT=15000
NOVA_TLS_PORT=18774
NOVNC_TLS_PORT=16080
SERIAL_TLS_PORT=16083
SPICE_TLS_PORT=16082
TLS_REGION=RegionTLS         # catalog region whose identity and (public) compute endpoints are https
TLS_DIR=$ETC_DIR/tls         # ca.pem, server.pem; private/ (0700) holds the keys (0600)
NGINX_DIR=$DATA_DIR/nginx    # nginx's prefix: its temp folders

KEYSTONE_URL=http://127.0.0.1:$KEYSTONE_PORT
KEYSTONE_TLS_URL=https://127.0.0.1:$KEYSTONE_TLS_PORT
NOVA_TLS_URL=https://127.0.0.1:$NOVA_TLS_PORT
MYSQL_SOCKET=$RUN_DIR/mysqld.sock

# Stop order for down.sh (reverse dependency order); up.sh starts them the other way round.
SERVICES="nginx nova-spicehtml5proxy nova-serialproxy nova-novncproxy nova-compute-2 nova-compute nova-scheduler
 nova-conductor nova-api serial-console-2 serial-console qemu-spice xvnc-2 xvnc cinder-volume cinder-scheduler
 cinder-api neutron-server glance-api placement keystone mariadb rabbitmq epmd"

# ------------------------------------------------------------------ output
T0=${T0:-$(date +%s)}
ts()   { printf '%s [%3ss] %s\n' "$(date +%H:%M:%S)" "$(( $(date +%s) - T0 ))" "$*"; }
die()  { printf '%s ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# die_service NAME MESSAGE: fail naming the service and its log, showing the log's tail.
die_service() {
  local name=$1 msg=$2 log=$LOG_DIR/$1.log
  {
    printf '%s ERROR: %s: %s\n' "$(date +%H:%M:%S)" "$name" "$msg"
    printf '  log file: %s\n' "$log"
    if [ -s "$log" ]; then echo "  last lines:"; tail -n 15 "$log" | cut -c1-300 | sed 's/^/    /'; fi
  } >&2
  exit 1
}

# ------------------------------------------------------------------ processes
pid_of() { cat "$RUN_DIR/$1.pid" 2>/dev/null; }

# alive NAME: the PID file names a live process that is still the session leader we started
# (each service is started with setsid, so its pid == its session id; guards against PID reuse).
alive() {
  local pid; pid=$(pid_of "$1") || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ "$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$pid" ]
}

# lock_cloud: serialise up.sh / down.sh / seed-servers.sh on one state folder (fd 9 holds the
# lock until the script exits; services started by start() do not inherit it).
lock_cloud() {
  mkdir -p "$CLOUD_DIR"
  exec 9>"$CLOUD_DIR/.lock"
  if ! flock -n 9; then
    ts "another up.sh/down.sh/seed-servers.sh is working on $CLOUD_DIR: waiting (max 15 min)"
    flock -w 900 9 || die "timed out waiting for the lock $CLOUD_DIR/.lock"
  fi
}

# start NAME CMD...: run CMD in its own session (process group), log to logs/NAME.log, write
# run/NAME.pid. The service runs in the state folder (never in a checkout that may be deleted)
# with a fixed, minimal environment (nothing of the caller's: npm_*, PWD, OS_*, a test's HOME).
SERVICE_ENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  HOME="$DATA_DIR/home" LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 NCLI_CLOUD_DIR="$CLOUD_DIR")
start() {
  local name=$1; shift
  echo "=== $(date '+%F %T') starting: $*" >> "$LOG_DIR/$name.log"
  mkdir -p "$DATA_DIR/home"
  ( cd "$CLOUD_DIR" && exec setsid "${SERVICE_ENV[@]}" "$@" >> "$LOG_DIR/$name.log" 2>&1 < /dev/null 9>&- ) &
  echo $! > "$RUN_DIR/$name.pid"
  ts "started $name (pid $!)"
}

# install_py: make $PY_DIR (state folder) hold exactly the checkout's py/ ($PY_SRC), copying
# only files whose content differs (atomically: a running service never reads half a file) and
# removing files the checkout no longer has. Services are judged by this content (inputs_hash),
# so an identical second checkout restarts nothing.
install_py() {
  local f rel
  mkdir -p "$PY_DIR"
  while IFS= read -r -d '' f; do
    rel=${f#"$PY_SRC"/}
    mkdir -p "$(dirname "$PY_DIR/$rel")"
    if ! cmp -s "$f" "$PY_DIR/$rel"; then
      cp "$f" "$PY_DIR/$rel.tmp.$$" && mv -f "$PY_DIR/$rel.tmp.$$" "$PY_DIR/$rel"
    fi
  done < <(find "$PY_SRC" -type f ! -name '*.pyc' -print0)
  while IFS= read -r -d '' f; do
    rel=${f#"$PY_DIR"/}
    [ -e "$PY_SRC/$rel" ] || rm -f "$f"
  done < <(find "$PY_DIR" -type f -print0)
  find "$PY_DIR" -mindepth 1 -type d -empty -delete
}

# stop NAME: TERM the service's process group, wait up to 15 s, then KILL what is left.
stop() {
  local name=$1 pid i t=$SECONDS
  pid=$(pid_of "$name") || return 0
  if [ -n "$pid" ] && alive "$name"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    kill -CONT -- "-$pid" 2>/dev/null   # a stopped (SIGSTOP) process handles TERM only once resumed
    for i in $(seq 1 30); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 -- "-$pid" 2>/dev/null; then
      kill -KILL -- "-$pid" 2>/dev/null
      for i in $(seq 1 20); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.25; done
      echo "stopped $name (pid $pid, KILLed after $((SECONDS - t))s)"
    else
      echo "stopped $name (pid $pid, $((SECONDS - t))s)"
    fi
  fi
  rm -f "$RUN_DIR/$name.pid" "$RUN_DIR/$name.inputs"
}

# ------------------------------------------------------------------ health checks (each one try, quick)
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
http_ok()   { curl -s -o /dev/null -m 3 "$1"; }   # any HTTP answer counts
mysql_ok()  { mariadb --no-defaults -S "$MYSQL_SOCKET" -uroot -e 'select 1' >/dev/null 2>&1; }
https_ok()  { curl -s -o /dev/null -m 3 --cacert "$TLS_DIR/ca.pem" "$1"; }   # verified against our CA

# wait_until NAME TIMEOUT_S CHECK...: poll CHECK until it succeeds; fail early if NAME died.
wait_until() {
  local name=$1 timeout=$2; shift 2
  [ "$ENSURE_PLAN" = 1 ] && return 0
  local deadline=$(( $(date +%s) + timeout ))
  while :; do
    "$@" && return 0
    alive "$name" || die_service "$name" "process exited while waiting for it to answer ($*)"
    [ "$(date +%s)" -ge "$deadline" ] && die_service "$name" "no answer after ${timeout}s ($*)"
    sleep 0.5
  done
}

# inputs_hash NAME CMD...: a hash of CMD, of the files SERVICE_INPUTS[NAME] lists (its config
# files and code) and of every file of $PY_DIR that CMD names (run_entry.py, ...), so that a
# service whose configuration or code changed gets restarted. Every path in it is in the state
# folder: which checkout ran up.sh makes no difference, only what the files hold.
declare -A SERVICE_INPUTS=()
inputs_hash() {
  local name=$1 f; shift
  {
    printf '%s\n' "$*"
    for f in ${SERVICE_INPUTS[$name]:-}; do printf '== %s\n' "$f"; cat "$f" 2>/dev/null; done
    for f in "$@"; do
      [[ "$f" == "$PY_DIR"/* && -f "$f" ]] && { printf '== %s\n' "$f"; cat "$f"; }
    done
    true
  } | sha256sum | cut -c1-16
}

# ensure NAME TIMEOUT_S PORT_OR_0 CHECK... -- CMD...
#   Starts CMD as service NAME unless it is already running and passes CHECK; a running
#   instance that fails CHECK 12 times in a row (a second apart, ~1 min with CHECK's own
#   timeouts) is restarted, and so is one whose
#   inputs (CMD, the files in SERVICE_INPUTS[NAME]) changed since it started (run/NAME.inputs; a
#   service started without that record is restarted if it has SERVICE_INPUTS). PORT (if not 0)
#   must be free before a fresh start: a foreign listener there is reported instead of fighting
#   over it. Appends NAME to STARTED_SERVICES when it was (re)started.
#
#   With ENSURE_PLAN=1, ensure only stops (in the background, pids in PLAN_PIDS) the running
#   services whose inputs changed, and wait_until returns at once: a first pass over the start
#   sequence that stops them all in parallel (see stop_changed_services in up.sh).
STARTED_SERVICES=()
ENSURE_PLAN=0
PLAN_PIDS=()
ensure() {
  local name=$1 timeout=$2 port=$3; shift 3
  local check=()
  while [ "$1" != "--" ]; do check+=("$1"); shift; done; shift
  local hash; hash=$(inputs_hash "$name" "$@")
  if alive "$name"; then
    local i was; was=$(cat "$RUN_DIR/$name.inputs" 2>/dev/null || true)
    if [ -z "$was" ] && [ -z "${SERVICE_INPUTS[$name]:-}" ]; then
      was=$hash; echo "$hash" > "$RUN_DIR/$name.inputs"   # no config of its own: keep it
    fi
    if [ "$ENSURE_PLAN" = 1 ]; then
      if [ "$was" != "$hash" ]; then
        ts "$name: its configuration or code changed: stopping it to restart it"
        stop "$name" >/dev/null & PLAN_PIDS+=($!)
      fi
      return 0
    fi
    if [ "$was" = "$hash" ] && [[ "$(readlink "/proc/$(pid_of "$name")/cwd")" == *" (deleted)" ]]; then
      was="cwd deleted"   # started (by an older harness) in a checkout that is gone since
      ts "$name runs in a deleted folder: restarting it"
    fi
    if [ "$was" = "$hash" ]; then
      # patient: a busy service (both nova-api workers held by slow requests of a test run) is
      # not a dead one, and restarting it fails every request other tests have in flight
      for i in $(seq 1 12); do "${check[@]}" && { ts "$name running (pid $(pid_of "$name"))"; return 0; }; sleep 1; done
      ts "$name is running but has not answered for a minute: restarting it"
    elif [ "$was" != "cwd deleted" ]; then
      ts "$name: its configuration or code changed: restarting it"
    fi
    stop "$name" >/dev/null
  fi
  [ "$ENSURE_PLAN" = 1 ] && return 0
  if [ "$port" != 0 ] && port_open "$port"; then
    local i; for i in $(seq 1 10); do sleep 0.5; port_open "$port" || break; done  # just-stopped?
    port_open "$port" &&
      die_service "$name" "port 127.0.0.1:$port is already in use by a process this harness did not start"
  fi
  start "$name" "$@"
  echo "$hash" > "$RUN_DIR/$name.inputs"
  STARTED_SERVICES+=("$name")
  [ "$timeout" -gt 0 ] && wait_until "$name" "$timeout" "${check[@]}"
  return 0
}

# ------------------------------------------------------------------ config templates
# render TEMPLATE OUT: copy templates/TEMPLATE to OUT, replacing every @NAME@ with the value of
# shell variable NAME (which must be set). @...@ rather than ${...} because oslo.config itself
# interpolates $name inside values.
render() {
  local src=$TEMPLATE_DIR/$1 out=$2 text key name
  text=$(<"$src") || die "missing template $src"
  for key in $(grep -o '@[A-Z][A-Z0-9_]*@' "$src" | sort -u); do
    name=${key//@/}
    [ -n "${!name+set}" ] || die "template $1 uses @$name@ but \$$name is not set"
    text=${text//"$key"/"${!name}"}    # quoted: no & / \\ processing in the replacement
  done
  printf '%s\n' "$text" > "$out"
}

# db_url NAME: SQLAlchemy URL of database NAME over MariaDB's unix socket.
db_url() { echo "mysql+pymysql://os:$PASSWORD@localhost/$1?unix_socket=$MYSQL_SOCKET&charset=utf8"; }

# ------------------------------------------------------------------ bootstrap markers
done_mark() { [ -f "$DATA_DIR/$1.done" ]; }
mark_done() { touch "$DATA_DIR/$1.done"; }

# step NAME CMD...: run a bootstrap command once, logging to logs/NAME.log; fail loudly.
step() {
  local name=$1; shift
  "$@" >> "$LOG_DIR/$name.log" 2>&1 || die_service "$name" "bootstrap command failed: $*"
}
