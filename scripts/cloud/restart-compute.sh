#!/bin/bash
# restart-compute.sh [HOST]: restart the nova-compute of HOST (default compute-2) of a running
# cloud, as a hypervisor host coming back, and wait until it has finished its start-up.
#
# Needed after an evacuation: Nova refuses to force a host up ("Unable to force up host
# compute-2 as `done` evacuation migration records remain associated with the host") until its
# nova-compute has restarted, destroyed the evacuated guests and marked those migrations
# `completed`. Then: openstack compute service set --up compute-2 nova-compute.
# Only the nova-compute services (devcloud-compute, compute-2); other services: up.sh.
set -euo pipefail
T0=$(date +%s)
# shellcheck source=scripts/cloud/up.sh
source "$(dirname "${BASH_SOURCE[0]}")/up.sh"   # functions only (up.sh runs main when executed)

host=${1:-$COMPUTE2_HOST}
case $host in
  "$COMPUTE1_HOST") name=nova-compute ;;
  "$COMPUTE2_HOST") name=nova-compute-2 ;;
  *) echo "usage: $0 [$COMPUTE1_HOST|$COMPUTE2_HOST]" >&2; exit 2 ;;
esac
[ -f "$RUN_DIR/$name.pid" ] || die "$name is not running here: run scripts/cloud/up.sh"
lock_cloud
cd "$CLOUD_DIR"
write_configs
before=$(sql "SELECT IFNULL(MAX(updated_at),'') FROM nova.services WHERE host='$host' AND topic='compute' AND deleted=0")
stop "$name"
ensure_compute "$name"
# start-up done: the service has written its record again (and the evacuations are completed)
for i in $(seq 1 120); do
  now=$(sql "SELECT IFNULL(MAX(updated_at),'') FROM nova.services WHERE host='$host' AND topic='compute' AND deleted=0")
  done_evac=$(sql "SELECT COUNT(*) FROM nova.migrations WHERE source_compute='$host' AND migration_type='evacuation' AND status='done' AND deleted=0")
  [ "$now" != "$before" ] && [ "$done_evac" = 0 ] && break
  alive "$name" || die_service "$name" "exited during start-up"
  [ "$i" = 120 ] && die_service "$name" "did not finish its start-up within 60 s"
  sleep 0.5
done
ts "$name ($host) restarted"
