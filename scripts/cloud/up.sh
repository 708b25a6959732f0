#!/bin/bash
# Bring up the ncli test cloud: a real OpenStack (Keystone with TOTP, Placement, Glance, Neutron
# server, Nova with a fake hypervisor, noVNC, serial and SPICE console proxies, an nginx TLS front)
# from Debian 12 packages, on 127.0.0.1 only, state in ${NCLI_CLOUD_DIR:-/tmp/ncli-cloud}.
# See scripts/cloud/README.md.
#
# Idempotent: on a running cloud it only checks that every service answers, restarts what died
# or what runs with an older configuration, skips finished bootstrap steps and repairs the fixtures.
set -euo pipefail
T0=$(date +%s)
# shellcheck source=scripts/cloud/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ================================================================== packages
PACKAGES="mariadb-server python3-pymysql rabbitmq-server
 python3-keystone python3-placement python3-glance python3-neutron python3-nova python3-cinder
 python3-keystoneclient python3-glanceclient python3-novaclient python3-openstackclient
 uwsgi-core uwsgi-plugin-python3 tigervnc-standalone-server websockify novnc python3-websocket
 curl procps openssl nginx qemu-system-x86 spice-html5"

install_packages() {
  local missing="" p
  for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  [ -z "$missing" ] && return 0
  [ "$(id -u)" = 0 ] || die "missing packages:$missing (run up.sh as root, or install them)"
  mkdir -p "$LOG_DIR"
  ts "installing packages:$missing (log: $LOG_DIR/apt.log)"
  # policy-rc.d "exit 101": maintainer scripts must not start mariadb/rabbitmq/... themselves.
  # An existing one that already says so is kept; any other is swapped out for the install.
  local policy=/usr/sbin/policy-rc.d backup="" ours=0
  if ! { [ -x "$policy" ] && grep -qx 'exit 101' "$policy"; }; then
    if [ -e "$policy" ]; then backup=$(mktemp); cp -p "$policy" "$backup"; fi
    printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; ours=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
  } >> "$LOG_DIR/apt.log" 2>&1 || rc=$?
  if [ $ours = 1 ]; then
    if [ -n "$backup" ]; then mv "$backup" "$policy"; else rm -f "$policy"; fi
  fi
  [ $rc = 0 ] || { tail -n 20 "$LOG_DIR/apt.log" >&2; die "apt-get install failed (see $LOG_DIR/apt.log)"; }
  ts "packages installed"
}

# ================================================================== configuration
write_configs() {
  mkdir -p "$LOG_DIR" "$RUN_DIR" "$ETC_DIR"/{keystone,placement,glance,neutron,nova,cinder,nginx} \
    "$DATA_DIR"/{rabbitmq,nova/lock,nova/instances,nova-compute-2/lock,nova-compute-2/instances,cinder/lock,glance/images,glance/staging,glance/tasks,neutron} \
    "$NGINX_DIR"/{client_body,proxy,fastcgi,uwsgi,scgi}
  KEYSTONE_DB=$(db_url keystone)  PLACEMENT_DB=$(db_url placement)  GLANCE_DB=$(db_url glance)
  NEUTRON_DB=$(db_url neutron)    NOVA_API_DB=$(db_url nova_api)    NOVA_DB=$(db_url nova)
  NOVA_CELL0_DB=$(db_url nova_cell0) CINDER_DB=$(db_url cinder)
  render rabbitmq.conf          "$DATA_DIR/rabbitmq/rabbitmq.conf"
  render keystone.conf          "$ETC_DIR/keystone/keystone.conf"
  render placement.conf         "$ETC_DIR/placement/placement.conf"
  render glance-api.conf        "$ETC_DIR/glance/glance-api.conf"
  render glance-api-paste.ini   "$ETC_DIR/glance/glance-api-paste.ini"
  render neutron.conf           "$ETC_DIR/neutron/neutron.conf"
  render neutron-api-paste.ini  "$ETC_DIR/neutron/api-paste.ini"
  render nova.conf              "$ETC_DIR/nova/nova.conf"
  render nova-compute-2.conf    "$ETC_DIR/nova/nova-compute-2.conf"
  render nova-api-paste.ini     "$ETC_DIR/nova/api-paste.ini"   # name fixed by nova's wsgi app
  render cinder.conf            "$ETC_DIR/cinder/cinder.conf"
  render cinder-api-paste.ini   "$ETC_DIR/cinder/api-paste.ini"
  render nginx.conf             "$ETC_DIR/nginx/nginx.conf"
  install_py
  make_tls
}

# What each service reads: a change restarts it (ensure, in lib.sh).
NOVA_FILES="$ETC_DIR/nova/nova.conf $ETC_DIR/nova/api-paste.ini"
SERVICE_INPUTS=(
  [keystone]="$ETC_DIR/keystone/keystone.conf"
  [placement]="$ETC_DIR/placement/placement.conf"
  [glance-api]="$ETC_DIR/glance/glance-api.conf $ETC_DIR/glance/glance-api-paste.ini"
  [neutron-server]="$ETC_DIR/neutron/neutron.conf $ETC_DIR/neutron/api-paste.ini $PY_DIR/devcloud_ml2.py
                    $PY_DIR/devcloud_ml2-1.0.dist-info/entry_points.txt"
  [nova-api]="$NOVA_FILES $PY_DIR/nova_api_wsgi.py"
  [nova-conductor]="$NOVA_FILES"
  [nova-scheduler]="$NOVA_FILES $PY_DIR/devcloud_weigher.py"
  [nova-compute]="$NOVA_FILES $PY_DIR/nova_compute.py $PY_DIR/devcloud_driver.py"
  [nova-compute-2]="$NOVA_FILES $ETC_DIR/nova/nova-compute-2.conf $PY_DIR/nova_compute.py $PY_DIR/devcloud_driver.py"
  [nova-novncproxy]="$NOVA_FILES"
  [nova-serialproxy]="$NOVA_FILES"
  [nova-spicehtml5proxy]="$NOVA_FILES"
  [cinder-api]="$ETC_DIR/cinder/cinder.conf $ETC_DIR/cinder/api-paste.ini"
  [cinder-scheduler]="$ETC_DIR/cinder/cinder.conf"
  [cinder-volume]="$ETC_DIR/cinder/cinder.conf $PY_DIR/devcloud_cinder.py"
  [serial-console]="$PY_DIR/serial_console.py"
  [serial-console-2]="$PY_DIR/serial_console.py"
  [nginx]="$ETC_DIR/nginx/nginx.conf $TLS_DIR/server.pem"
)

# ================================================================== TLS: the harness's own CA and a server certificate
# $TLS_DIR/ca.pem (CA, 10 years) and server.pem (127.0.0.1 + localhost, 2 years, signed by the
# CA); their keys in $TLS_DIR/private (0700), 0600. Made once; the server certificate is made
# again when it is missing, expires within 30 days or is not signed by ca.pem.
make_tls() {
  local priv=$TLS_DIR/private
  mkdir -p "$priv"; chmod 755 "$TLS_DIR"; chmod 700 "$priv"
  if [ ! -s "$TLS_DIR/ca.pem" ] || [ ! -s "$priv/ca.key" ]; then
    ts "TLS: making the harness CA ($TLS_DIR/ca.pem)"
    (umask 077; step openssl openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$priv/ca.key")
    step openssl openssl req -x509 -new -key "$priv/ca.key" -sha256 -days 3650 \
      -subj "/O=ncli test cloud/CN=ncli test cloud CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$TLS_DIR/ca.pem"
    rm -f "$TLS_DIR/server.pem"
  fi
  if [ -s "$TLS_DIR/server.pem" ] && [ -s "$priv/server.key" ] &&
     openssl x509 -checkend $((30 * 86400)) -noout -in "$TLS_DIR/server.pem" >/dev/null 2>&1 &&
     openssl verify -CAfile "$TLS_DIR/ca.pem" "$TLS_DIR/server.pem" >/dev/null 2>&1; then
    return 0
  fi
  ts "TLS: making the server certificate ($TLS_DIR/server.pem: 127.0.0.1, localhost)"
  (umask 077; step openssl openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$priv/server.key")
  step openssl openssl req -new -key "$priv/server.key" -subj "/O=ncli test cloud/CN=127.0.0.1" \
    -out "$TLS_DIR/server.csr"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" > "$TLS_DIR/server.ext"
  step openssl openssl x509 -req -in "$TLS_DIR/server.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$priv/ca.key" \
    -CAcreateserial -CAserial "$priv/ca.srl" -sha256 -days 730 -extfile "$TLS_DIR/server.ext" \
    -out "$TLS_DIR/server.pem"
  rm -f "$TLS_DIR/server.csr" "$TLS_DIR/server.ext"
  chmod 600 "$priv"/*; chmod 644 "$TLS_DIR/ca.pem" "$TLS_DIR/server.pem"
}

# uwsgi in front of keystone, placement and nova-api. --http-socket has no keep-alive, so tell
# clients: otherwise requests/keystoneauth reuse the closed socket (ECONNRESET, RemoteDisconnected).
UWSGI=(uwsgi --plugin python3 --master --die-on-term --need-app --buffer-size 65535 --vacuum
       --add-header "Connection: close")
NOVA_CONF=$ETC_DIR/nova/nova.conf
py_entry() { "$PY" "$PY_DIR/run_entry.py" "$@"; }   # py_entry PROGRAM MODULE ARGS...
nova_manage() { py_entry nova-manage nova.cmd.manage --config-file "$NOVA_CONF" "$@"; }

# ================================================================== RabbitMQ, MariaDB
RABBIT_ENV=(env HOME="$DATA_DIR/rabbitmq"   # its .erlang.cookie lives here, not in ~
  ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=$EPMD_PORT
  RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$RABBIT_PORT
  RABBITMQ_DIST_PORT=$RABBIT_DIST_PORT
  RABBITMQ_MNESIA_BASE="$DATA_DIR/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$LOG_DIR/rabbitmq"
  RABBITMQ_ENABLED_PLUGINS_FILE="$DATA_DIR/rabbitmq/enabled_plugins"
  RABBITMQ_CONFIG_FILE="$DATA_DIR/rabbitmq/rabbitmq"
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}")

start_rabbitmq() {   # starts; rabbit itself is waited for later (it boots while we do other work)
  [ -f "$DATA_DIR/rabbitmq/enabled_plugins" ] || echo '[].' > "$DATA_DIR/rabbitmq/enabled_plugins"
  ensure epmd 30 "$EPMD_PORT" port_open "$EPMD_PORT" -- \
    "${RABBIT_ENV[@]}" /usr/bin/epmd -address 127.0.0.1 -port "$EPMD_PORT"
  ensure rabbitmq 0 "$RABBIT_PORT" port_open "$RABBIT_PORT" -- \
    "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
}

start_mariadb() {   # unix socket only; SQLite is no option (several processes per DB: "database is locked")
  if [ ! -d "$DATA_DIR/mysql/mysql" ]; then
    ts "initialising MariaDB"
    step mariadb-install mariadb-install-db --no-defaults --user=root --datadir="$DATA_DIR/mysql" \
      --auth-root-authentication-method=socket
  fi
  ensure mariadb 60 0 mysql_ok -- \
    /usr/sbin/mariadbd --no-defaults --user=root --datadir="$DATA_DIR/mysql" --socket="$MYSQL_SOCKET" \
      --pid-file="$RUN_DIR/mariadbd.pidfile" --skip-networking --log-error="$LOG_DIR/mariadb.err" \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
      --innodb-buffer-pool-size=64M --max-connections=1000 --performance-schema=OFF --skip-log-bin \
      --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0   # throw-away data: fewer fsyncs
  if ! done_mark databases; then
    mariadb --no-defaults -S "$MYSQL_SOCKET" -uroot >> "$LOG_DIR/mariadb-setup.log" 2>&1 <<EOF || die_service mariadb-setup "creating databases failed"
CREATE DATABASE IF NOT EXISTS keystone;  CREATE DATABASE IF NOT EXISTS placement;
CREATE DATABASE IF NOT EXISTS glance;    CREATE DATABASE IF NOT EXISTS neutron;
CREATE DATABASE IF NOT EXISTS nova_api;  CREATE DATABASE IF NOT EXISTS nova;
CREATE DATABASE IF NOT EXISTS nova_cell0;
CREATE USER IF NOT EXISTS 'os'@'localhost' IDENTIFIED BY '$PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'os'@'localhost';
EOF
    mark_done databases
  fi
  if ! done_mark database-cinder; then   # added after the others: clouds made before have no cinder
    mariadb --no-defaults -S "$MYSQL_SOCKET" -uroot -e 'CREATE DATABASE IF NOT EXISTS cinder' \
      >> "$LOG_DIR/mariadb-setup.log" 2>&1 || die_service mariadb-setup "creating database cinder failed"
    mark_done database-cinder
  fi
}

# ================================================================== database schemas (run in the background)
sync_placement_glance_neutron() {
  if ! done_mark placement-db; then
    step placement-manage placement-manage --config-file "$ETC_DIR/placement/placement.conf" db sync
    mark_done placement-db
  fi
  if ! done_mark glance-db; then
    step glance-manage py_entry glance-manage glance.cmd.manage --config-file "$ETC_DIR/glance/glance-api.conf" db sync
    mark_done glance-db
  fi
  if ! done_mark neutron-db; then
    step neutron-db-manage py_entry neutron-db-manage neutron.db.migration.cli \
      --config-file "$ETC_DIR/neutron/neutron.conf" upgrade heads
    mark_done neutron-db
  fi
}

sync_cinder() {
  done_mark cinder-db && return 0
  step cinder-manage py_entry cinder-manage cinder.cmd.manage --config-file "$ETC_DIR/cinder/cinder.conf" db sync
  mark_done cinder-db
}

sync_nova() {
  done_mark nova-db && return 0
  step nova-manage nova_manage api_db sync
  step nova-manage nova_manage cell_v2 map_cell0 --database_connection "$NOVA_CELL0_DB"
  step nova-manage nova_manage db sync
  nova_manage cell_v2 list_cells 2>/dev/null | grep -q ' cell1 ' ||
    step nova-manage nova_manage cell_v2 create_cell --name cell1
  mark_done nova-db
}

# in_background NAME CMD...: run CMD (a function or command) in a background subshell.
# wait_background [NAME...]: wait for those background steps (default: all); fail if one failed.
declare -A BG_PIDS=()
in_background() {
  local name=$1; shift
  "$@" & BG_PIDS[$name]=$!
}
wait_background() {
  local name names=("$@")
  [ ${#names[@]} -gt 0 ] || names=("${!BG_PIDS[@]}")
  for name in "${names[@]}"; do
    [ -n "${BG_PIDS[$name]:-}" ] || continue
    wait "${BG_PIDS[$name]}" || die "background step $name failed (see the error above)"
    unset "BG_PIDS[$name]"
  done
}

# ================================================================== Keystone
setup_keystone() {
  local km=(keystone-manage --config-file "$ETC_DIR/keystone/keystone.conf")
  if ! done_mark keystone-bootstrap; then
    ts "keystone: db_sync, keys, bootstrap"
    # the key repositories need no database: make them while db_sync runs
    [ -d "$ETC_DIR/keystone/fernet-keys" ] || in_background keystone-fernet-keys \
      step keystone-manage "${km[@]}" fernet_setup --keystone-user root --keystone-group root
    [ -d "$ETC_DIR/keystone/credential-keys" ] || in_background keystone-credential-keys \
      step keystone-manage "${km[@]}" credential_setup --keystone-user root --keystone-group root
    step keystone-manage "${km[@]}" db_sync
    wait_background keystone-fernet-keys keystone-credential-keys
    step keystone-manage "${km[@]}" bootstrap --bootstrap-password "$PASSWORD" \
      --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
      --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
      --bootstrap-admin-url "$KEYSTONE_URL/v3/" --bootstrap-internal-url "$KEYSTONE_URL/v3/" \
      --bootstrap-public-url "$KEYSTONE_URL/v3/"
    mark_done keystone-bootstrap
  fi
  ensure keystone 60 "$KEYSTONE_PORT" http_ok "$KEYSTONE_URL/v3" -- \
    env OS_KEYSTONE_CONFIG_DIR="$ETC_DIR/keystone" "${UWSGI[@]}" --http-socket "127.0.0.1:$KEYSTONE_PORT" \
      --processes 1 --threads 4 --enable-threads --wsgi-file /usr/bin/keystone-wsgi-public \
      --procname-prefix keystone-   # one process: see [cache] in templates/keystone.conf
  # (run again whenever cloud_keystone.py changed: the marker holds the hash of the script)
  local setup_version; setup_version=$(sha256sum "$PY_DIR/cloud_keystone.py" | cut -c1-16)
  if [ "$(cat "$DATA_DIR/keystone-setup.done" 2>/dev/null)" != "$setup_version" ]; then
    ts "keystone: users, projects, catalog"
    step keystone-setup "$PY" "$PY_DIR/cloud_keystone.py"
    echo "$setup_version" > "$DATA_DIR/keystone-setup.done"
  fi
}

# ================================================================== the other services
start_services() {
  ensure placement 60 "$PLACEMENT_PORT" http_ok "http://127.0.0.1:$PLACEMENT_PORT/" -- \
    env OS_PLACEMENT_CONFIG_DIR="$ETC_DIR/placement" "${UWSGI[@]}" --http-socket "127.0.0.1:$PLACEMENT_PORT" \
      --processes 1 --threads 4 --enable-threads --wsgi-file /usr/bin/placement-api --procname-prefix placement-
  ensure glance-api 0 "$GLANCE_PORT" http_ok "http://127.0.0.1:$GLANCE_PORT/" -- \
    "$PY" "$PY_DIR/run_entry.py" glance-api glance.cmd.api --config-file "$ETC_DIR/glance/glance-api.conf"
  ensure neutron-server 0 "$NEUTRON_PORT" http_ok "http://127.0.0.1:$NEUTRON_PORT/" -- \
    "$PY" "$PY_DIR/run_entry.py" neutron-server neutron.cmd.eventlet.server \
      --config-file "$ETC_DIR/neutron/neutron.conf"

  # Cinder: api, scheduler and one volume service with the fake backend
  ensure cinder-api 0 "$CINDER_PORT" http_ok "http://127.0.0.1:$CINDER_PORT/" -- \
    "$PY" "$PY_DIR/run_entry.py" cinder-api cinder.cmd.api --config-file "$ETC_DIR/cinder/cinder.conf"
  ensure cinder-scheduler 0 0 alive cinder-scheduler -- \
    "$PY" "$PY_DIR/run_entry.py" cinder-scheduler cinder.cmd.scheduler --config-file "$ETC_DIR/cinder/cinder.conf"
  ensure cinder-volume 0 0 alive cinder-volume -- \
    "$PY" "$PY_DIR/run_entry.py" cinder-volume cinder.cmd.volume --config-file "$ETC_DIR/cinder/cinder.conf"

  # the consoles' back ends: a real VNC server, and a TCP "serial port" that echoes; one each
  # per compute host
  clear_stale_x_lock xvnc "$VNC_DISPLAY"
  ensure xvnc 0 "$VNC_PORT" port_open "$VNC_PORT" -- \
    Xvnc ":$VNC_DISPLAY" -geometry 640x480 -depth 24 -desktop devcloud-vm1 -rfbport "$VNC_PORT" \
      -SecurityTypes None -localhost -interface 127.0.0.1 -nolisten tcp \
      -AlwaysShared -BlacklistThreshold 1000000
  # (-AlwaysShared: several viewers at once; -BlacklistThreshold: aborted handshakes in tests
  #  would otherwise get 127.0.0.1 blacklisted after 5 tries)
  clear_stale_x_lock xvnc-2 "$VNC2_DISPLAY"
  ensure xvnc-2 0 "$VNC2_PORT" port_open "$VNC2_PORT" -- \
    Xvnc ":$VNC2_DISPLAY" -geometry 640x480 -depth 24 -desktop "devcloud-$COMPUTE2_HOST" -rfbport "$VNC2_PORT" \
      -SecurityTypes None -localhost -interface 127.0.0.1 -nolisten tcp \
      -AlwaysShared -BlacklistThreshold 1000000
  ensure serial-console 0 "$SERIAL_SERVICE_PORT" port_open "$SERIAL_SERVICE_PORT" -- \
    "$PY" "$PY_DIR/serial_console.py" --port "$SERIAL_SERVICE_PORT" --name devcloud-vm1
  ensure serial-console-2 0 "$SERIAL2_SERVICE_PORT" port_open "$SERIAL2_SERVICE_PORT" -- \
    "$PY" "$PY_DIR/serial_console.py" --port "$SERIAL2_SERVICE_PORT" --name "devcloud-$COMPUTE2_HOST"
  # every server's SPICE console: one real QEMU (TCG) whose screen is SeaBIOS's "No bootable
  # device"; once the BIOS halts it costs ~1% of a core
  ensure qemu-spice 0 "$SPICE_PORT" port_open "$SPICE_PORT" -- \
    qemu-system-x86_64 -name devcloud-spice -machine pc,accel=tcg -smp 1 -m 64 -nodefaults \
      -vga qxl -nic none -display none -spice "port=$SPICE_PORT,addr=127.0.0.1,disable-ticketing=on"

  ensure nova-api 0 "$NOVA_PORT" http_ok "http://127.0.0.1:$NOVA_PORT/" -- \
    env OS_NOVA_CONFIG_DIR="$ETC_DIR/nova" "${UWSGI[@]}" --http-socket "127.0.0.1:$NOVA_PORT" \
      --processes 2 --threads 1 --lazy-apps --wsgi-file "$PY_DIR/nova_api_wsgi.py" --procname-prefix nova-api-
  ensure nova-conductor 0 0 alive nova-conductor -- \
    "$PY" "$PY_DIR/run_entry.py" nova-conductor nova.cmd.conductor --config-file "$NOVA_CONF"
  ensure nova-scheduler 0 0 alive nova-scheduler -- \
    "$PY" "$PY_DIR/run_entry.py" nova-scheduler nova.cmd.scheduler --config-file "$NOVA_CONF"
  ensure_console_proxy nova-novncproxy
  ensure_console_proxy nova-serialproxy
  ensure_console_proxy nova-spicehtml5proxy

  # nova-compute reports its resources to placement right at start-up: placement must answer
  wait_until placement 60 http_ok "http://127.0.0.1:$PLACEMENT_PORT/"
  ensure_compute nova-compute
  ensure_compute nova-compute-2
  # the TLS front (its upstreams need not be up yet: nginx connects per request)
  ensure nginx 0 "$KEYSTONE_TLS_PORT" https_ok "$KEYSTONE_TLS_URL/v3" -- \
    nginx -p "$NGINX_DIR/" -c "$ETC_DIR/nginx/nginx.conf" -e "$LOG_DIR/nginx.log"

  # everything that was started above must answer now
  wait_until glance-api 90 http_ok "http://127.0.0.1:$GLANCE_PORT/"
  wait_until neutron-server 90 http_ok "http://127.0.0.1:$NEUTRON_PORT/"
  wait_until nova-api 90 http_ok "http://127.0.0.1:$NOVA_PORT/"
  wait_until cinder-api 90 http_ok "http://127.0.0.1:$CINDER_PORT/"
  wait_until xvnc 30 port_open "$VNC_PORT"
  wait_until xvnc-2 30 port_open "$VNC2_PORT"
  wait_until serial-console 30 port_open "$SERIAL_SERVICE_PORT"
  wait_until serial-console-2 30 port_open "$SERIAL2_SERVICE_PORT"
  wait_until nova-novncproxy 60 port_open "$NOVNC_PORT"
  wait_until nova-serialproxy 60 port_open "$SERIAL_PROXY_PORT"
  wait_until nova-spicehtml5proxy 60 port_open "$SPICE_PROXY_PORT"
  wait_until qemu-spice 30 port_open "$SPICE_PORT"
  wait_until nginx 30 https_ok "$KEYSTONE_TLS_URL/v3"
  [ "$ENSURE_PLAN" = 1 ] && return 0
  local s; for s in nova-conductor nova-scheduler nova-compute nova-compute-2 cinder-scheduler cinder-volume; do
    alive "$s" || die_service "$s" "exited right after start"
  done
  ts "all services answer"
}

# ensure_compute nova-compute|nova-compute-2: the nova-compute of the first / second host, each
# with its own console ports (the devcloud driver reads them from the environment).
# ensure_console_proxy NAME [TIMEOUT]: starts Nova's console proxy NAME (nova-novncproxy,
# nova-serialproxy, nova-spicehtml5proxy) unless it runs with the same inputs; with TIMEOUT > 0,
# waits that many seconds for its port (restart-proxy.sh). Its port is in cloud.env.
ensure_console_proxy() {
  local name=$1 timeout=${2:-0} port module
  case $name in
    nova-novncproxy) port=$NOVNC_PORT module=nova.cmd.novncproxy ;;
    nova-serialproxy) port=$SERIAL_PROXY_PORT module=nova.cmd.serialproxy ;;
    # (web root: nova's default [DEFAULT] web = /usr/share/spice-html5, Debian's spice-html5)
    nova-spicehtml5proxy) port=$SPICE_PROXY_PORT module=nova.cmd.spicehtml5proxy ;;
    *) die "ensure_console_proxy: no console proxy named $name" ;;
  esac
  ensure "$name" "$timeout" "$port" port_open "$port" -- \
    "$PY" "$PY_DIR/run_entry.py" "$name" "$module" --config-file "$NOVA_CONF"
}

ensure_compute() {
  case $1 in
    nova-compute)
      ensure nova-compute 0 0 alive nova-compute -- \
        env DEVCLOUD_VNC_PORT="$VNC_PORT" DEVCLOUD_SERIAL_PORT="$SERIAL_SERVICE_PORT" DEVCLOUD_SPICE_PORT="$SPICE_PORT" \
          DEVCLOUD_LIVE_MIGRATION_SECONDS="$LIVE_MIGRATION_SECONDS" \
          "$PY" "$PY_DIR/nova_compute.py" --config-file "$NOVA_CONF" ;;
    nova-compute-2)
      ensure nova-compute-2 0 0 alive nova-compute-2 -- \
        env DEVCLOUD_VNC_PORT="$VNC2_PORT" DEVCLOUD_SERIAL_PORT="$SERIAL2_SERVICE_PORT" DEVCLOUD_SPICE_PORT="$SPICE_PORT" \
          DEVCLOUD_LIVE_MIGRATION_SECONDS="$LIVE_MIGRATION_SECONDS" \
          "$PY" "$PY_DIR/nova_compute.py" --config-file "$NOVA_CONF" --config-file "$ETC_DIR/nova/nova-compute-2.conf" ;;
    *) die "ensure_compute: unknown service $1" ;;
  esac
}

# Stop, all at once, the running services whose configuration or code changed (start_services
# then starts them again): one pass of start_services in plan mode (ensure in lib.sh).
stop_changed_services() {
  ENSURE_PLAN=1 PLAN_PIDS=()
  start_services
  ENSURE_PLAN=0
  [ ${#PLAN_PIDS[@]} = 0 ] || { wait "${PLAN_PIDS[@]}"; ts "stopped ${#PLAN_PIDS[@]} services to restart them"; }
}

# clear_stale_x_lock SERVICE DISPLAY: Xvnc leaves /tmp/.X<n>-lock behind when it is killed;
# a stale one blocks the next start.
clear_stale_x_lock() {
  local name=$1 display=$2 lock=/tmp/.X$2-lock pid
  alive "$name" && return 0
  [ -f "$lock" ] || return 0
  pid=$(tr -d ' \n' < "$lock")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    die_service "$name" "X display :$display is in use by pid $pid, which this harness did not start"
  fi
  rm -f "$lock" "/tmp/.X11-unix/X$display"
}

# ================================================================== fixtures
export KEYSTONE_URL PASSWORD CLOUD_DIR KEYSTONE_TLS_URL NOVA_TLS_URL TLS_REGION COMPUTE1_HOST COMPUTE2_HOST

# Map the compute host into cell1, once: wait for nova-compute's compute node record (SQL is
# much quicker than nova-manage, which takes ~3 s per call), then discover_hosts.
sql() { mariadb --no-defaults -S "$MYSQL_SOCKET" -uroot -N -B -e "$1" 2>/dev/null; }
discover_hosts() {
  local hosts="'$COMPUTE1_HOST','$COMPUTE2_HOST'" i
  [ "$(sql "SELECT COUNT(*) FROM nova_api.host_mappings WHERE host IN ($hosts)")" = 2 ] && return 0
  for i in $(seq 1 120); do
    [ "$(sql "SELECT COUNT(DISTINCT host) FROM nova.compute_nodes WHERE host IN ($hosts) AND deleted=0")" = 2 ] && break
    [ "$i" = 120 ] && die_service nova-compute "no compute node records for $hosts after 60 s"
    sleep 0.5
  done
  for i in $(seq 1 10); do
    step nova-manage nova_manage cell_v2 discover_hosts --verbose
    [ "$(sql "SELECT COUNT(*) FROM nova_api.host_mappings WHERE host IN ($hosts)")" = 2 ] && break
    [ "$i" = 10 ] && die_service nova-manage "compute hosts $hosts never got mapped to cell1"
    sleep 1
  done
  ts "compute hosts $COMPUTE1_HOST, $COMPUTE2_HOST mapped to cell1"
}

setup_fixtures() {
  in_background discover-hosts discover_hosts
  step fixtures "$PY" "$PY_DIR/cloud_fixtures.py" prepare
  ts "images, flavors, quota, application credential, network ready"
  wait_background
  ts "fixture servers (log: $LOG_DIR/fixtures.log)"
  step fixtures "$PY" "$PY_DIR/cloud_fixtures.py" servers
  ts "fixture servers ACTIVE"
}

# ================================================================== client files
write_client_files() {
  local common="region_name: RegionOne
    interface: public
    identity_api_version: 3"
  # shellcheck disable=SC1090
  source "$DATA_DIR/facts.env"
  umask 077
  cat > "$CLOUD_DIR/clouds.yaml" <<EOF
# ncli test cloud (generated by scripts/cloud/up.sh). Use with OS_CLIENT_CONFIG_FILE=$CLOUD_DIR/clouds.yaml
clouds:
  devcloud:
    auth_type: password
    auth:
      auth_url: $KEYSTONE_URL/v3
      username: admin
      password: $PASSWORD
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    $common
  devcloud-demo:
    auth_type: password
    auth:
      auth_url: $KEYSTONE_URL/v3
      username: demo
      password: $PASSWORD
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
    $common
  devcloud-appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: $KEYSTONE_URL/v3
      application_credential_id: $APPCRED_ID
      application_credential_secret: $APPCRED_SECRET
    $common
  devcloud-tls:
    auth_type: password
    auth:
      auth_url: $KEYSTONE_TLS_URL/v3
      username: admin
      password: $PASSWORD
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: $TLS_REGION
    interface: public
    identity_api_version: 3
    cacert: $TLS_DIR/ca.pem
EOF
  local user project file
  for user in admin demo; do
    project=$user; file=$CLOUD_DIR/openrc; [ "$user" = demo ] && file=$CLOUD_DIR/openrc-demo
    cat > "$file" <<EOF
# ncli test cloud, user $user (generated by scripts/cloud/up.sh): source $file
unset OS_CLOUD OS_TOKEN OS_AUTH_TYPE OS_PROJECT_ID OS_TENANT_NAME OS_TENANT_ID OS_USER_ID \\
      OS_APPLICATION_CREDENTIAL_ID OS_APPLICATION_CREDENTIAL_SECRET OS_APPLICATION_CREDENTIAL_NAME
export OS_AUTH_URL=$KEYSTONE_URL/v3
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME=$user
export OS_PASSWORD=$PASSWORD
export OS_PROJECT_NAME=$project
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=RegionOne
export OS_INTERFACE=public
EOF
  done
  {
    echo "# ncli test cloud facts (generated by scripts/cloud/up.sh; KEY=value, no quoting needed)"
    echo "NCLI_CLOUD_DIR=$CLOUD_DIR"
    echo "OS_CLIENT_CONFIG_FILE=$CLOUD_DIR/clouds.yaml"
    echo "KEYSTONE_URL=$KEYSTONE_URL/v3"
    echo "NOVA_URL=http://127.0.0.1:$NOVA_PORT/v2.1"
    echo "NOVNC_PORT=$NOVNC_PORT"
    echo "SERIAL_PROXY_PORT=$SERIAL_PROXY_PORT"
    echo "SERIAL_SERVICE_PORT=$SERIAL_SERVICE_PORT"
    echo "VNC_PORT=$VNC_PORT"
    echo "SPICE_PROXY_PORT=$SPICE_PROXY_PORT"
    echo "SPICE_PORT=$SPICE_PORT"
    echo "TLS_REGION=$TLS_REGION"
    echo "KEYSTONE_TLS_URL=$KEYSTONE_TLS_URL/v3"
    echo "NOVA_TLS_URL=$NOVA_TLS_URL/v2.1"
    echo "NOVNC_TLS_PORT=$NOVNC_TLS_PORT"
    echo "SERIAL_TLS_PORT=$SERIAL_TLS_PORT"
    echo "SPICE_TLS_PORT=$SPICE_TLS_PORT"
    echo "CLOUD_CA=$TLS_DIR/ca.pem"
    echo "CONSOLE_TOKEN_TTL=30"
    echo "NOVA_MAX_LIMIT=20"
    echo "ADMIN_FIXTURE_SERVERS=25"
    echo "COMPUTE_HOSTS=$COMPUTE1_HOST,$COMPUTE2_HOST"
    echo "COMPUTE1_HOST=$COMPUTE1_HOST"
    echo "COMPUTE2_HOST=$COMPUTE2_HOST"
    echo "VNC2_PORT=$VNC2_PORT"
    echo "SERIAL2_SERVICE_PORT=$SERIAL2_SERVICE_PORT"
    echo "LIVE_MIGRATION_SECONDS=$LIVE_MIGRATION_SECONDS"
    echo "LIVE_MIGRATION_SECONDS_KEY=devcloud_live_migration_seconds"
    echo "RECLAIM_INSTANCE_INTERVAL=$RECLAIM_INSTANCE_INTERVAL"
    echo "SOFT_DELETE_PREFIX=soft-"
    echo "CINDER_URL=http://127.0.0.1:$CINDER_PORT/v3"
    echo "VOLUME_BACKEND_HOST=$CINDER_HOST@fake#fake"
    cat "$DATA_DIR/facts.env"
  } > "$CLOUD_DIR/cloud.env.tmp"
  chmod 600 "$CLOUD_DIR/cloud.env.tmp"
  mv "$CLOUD_DIR/cloud.env.tmp" "$CLOUD_DIR/cloud.env"
  umask 022
}

# ================================================================== main
main() {
  local t_apt
  lock_cloud
  install_packages
  t_apt=$(( $(date +%s) - T0 ))
  write_configs
  ts "state folder $CLOUD_DIR"

  start_rabbitmq
  start_mariadb
  ts "mariadb ready"

  # schema migrations run in the background while keystone is bootstrapped
  in_background nova-db sync_nova
  in_background placement-glance-neutron-db sync_placement_glance_neutron
  in_background cinder-db sync_cinder
  setup_keystone
  wait_until rabbitmq 120 port_open "$RABBIT_PORT"
  ts "rabbitmq ready"
  wait_background
  ts "databases ready"

  stop_changed_services
  start_services
  ts "(re)started this run: ${STARTED_SERVICES[*]:-nothing}"
  setup_fixtures
  write_client_files
  bash "$CLOUD_SCRIPTS/oidc-up.sh" --locked   # federated login: IdP, mod_auth_openidc, clouds (OIDC)

  local total=$(( $(date +%s) - T0 ))
  ts "cloud is up in ${total}s$( [ "$t_apt" -gt 1 ] && echo " (${t_apt}s of it apt-get)")"
  echo "  facts:       $CLOUD_DIR/cloud.env"
  echo "  clouds.yaml: $CLOUD_DIR/clouds.yaml (clouds devcloud, devcloud-demo, devcloud-appcred, devcloud-tls)"
  echo "  logs:        $LOG_DIR/"
  echo "source $CLOUD_DIR/openrc"
}

# run main only when executed (sourcing the file just defines the functions, e.g. for tests)
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
