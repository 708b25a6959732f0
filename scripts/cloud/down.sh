#!/bin/bash
# Stop the ncli test cloud: exactly the processes up.sh started, found by their PID files in
# $NCLI_CLOUD_DIR/run (each service runs in its own session, so its whole process group is
# signalled: TERM first, KILL after 15 s for what is left).
#
#   down.sh           stop everything, keep the state (the next up.sh is quick)
#   down.sh --purge   also delete the state folder (databases, images, logs, clouds.yaml, ...)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

purge=0
case "${1:-}" in
  --purge) purge=1 ;;
  "") ;;
  *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
esac

# Two waves, each stopped in parallel: first the OpenStack services and console back ends,
# then what they depend on (MariaDB, RabbitMQ, epmd), so nothing logs needless errors.
[ -d "$CLOUD_DIR" ] && lock_cloud

stop_wave() {
  local name pids=()
  for name in "$@"; do
    [ -f "$RUN_DIR/$name.pid" ] || continue
    if alive "$name"; then
      stop "$name" & pids+=($!)
    else
      echo "$name was not running (stale pid file removed)"; rm -f "$RUN_DIR/$name.pid"
    fi
  done
  [ ${#pids[@]} = 0 ] || wait "${pids[@]}"
}
BACKENDS="mariadb rabbitmq epmd"
SERVICES="apache-oidc keystone-oidc idp $SERVICES"   # scripts/cloud/oidc-up.sh's services
if [ -d "$RUN_DIR" ]; then
  shopt -s nullglob
  pidfiles=("$RUN_DIR"/*.pid); before=${#pidfiles[@]}
  # shellcheck disable=SC2046
  stop_wave $(for s in $SERVICES; do [[ " $BACKENDS " == *" $s "* ]] || echo "$s"; done)
  stop_wave $BACKENDS
  pidfiles=("$RUN_DIR"/*.pid)
  echo "down: stopped the services of $before pid files ($CLOUD_DIR/run), ${#pidfiles[@]} left"
  [ ${#pidfiles[@]} = 0 ] || echo "  still there: ${pidfiles[*]}" >&2
else
  echo "down: nothing to stop ($RUN_DIR does not exist)"
fi

if [ $purge = 1 ]; then
  # Refuse to rm -rf anything that does not look like our state folder.
  if [ -d "$CLOUD_DIR" ]; then
    [ -d "$CLOUD_DIR/run" ] && [ -d "$CLOUD_DIR/data" ] || die "$CLOUD_DIR does not look like a cloud state folder; not deleting it"
    rm -rf "$CLOUD_DIR"
    echo "removed $CLOUD_DIR"
  fi
fi
