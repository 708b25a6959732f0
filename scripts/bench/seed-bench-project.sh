#!/bin/bash
# seed-bench-project.sh [N]: make sure project `bench` exists, that the cloud's admin user holds
# the admin role on it, that its quota has room (instances 400, cores 800, ram 819200) and that
# it holds at least N (default 220) ACTIVE servers, booted with the fake driver by
# `nova boot --min-count` in batches of at most 50. Idempotent: a second run only checks.
#
# A SEPARATE project on purpose: the shared admin project is what the other tests look at.
# Uses the cloud's openrc (user admin) and the Debian openstack/nova clients. Note: with
# `--os-cloud`, openstackclient ignores `--os-project-name`; with OS_* variables it honours it.
set -euo pipefail
N=${1:-220}
BATCH=${BENCH_SEED_BATCH:-50}
PROJECT=${BENCH_PROJECT:-bench}
CLOUD_DIR=${NCLI_CLOUD_DIR:-/tmp/ncli-cloud}
[ -f "$CLOUD_DIR/openrc" ] || { echo "no $CLOUD_DIR/openrc: bring the cloud up (npm run cloud:up)" >&2; exit 1; }
unset OS_CLIENT_CONFIG_FILE
# shellcheck disable=SC1091
source "$CLOUD_DIR/openrc"
log() { printf '%s [seed] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

osc() { openstack "$@"; }
# the bench project: admin's credentials, bench's scope
oscb() { openstack --os-project-name "$PROJECT" "$@"; }
novab() { nova --os-project-name "$PROJECT" "$@" 2> >(grep -v 'nova CLI is deprecated' >&2); }

if ! osc project show "$PROJECT" -f value -c id >/dev/null 2>&1; then
  log "creating project $PROJECT"
  osc project create --domain Default --description 'ncli benchmark (scripts/bench)' "$PROJECT" -f value -c id >/dev/null
fi
if [ -z "$(osc role assignment list --user admin --user-domain Default --project "$PROJECT" --project-domain Default --role admin -f value -c Role)" ]; then
  log "giving admin the admin role on $PROJECT"
  osc role add --user admin --user-domain Default --project "$PROJECT" --project-domain Default admin
fi
read -r qi qc qr < <(osc quota show "$PROJECT" -f json | python3 -c '
import json, sys
q = json.load(sys.stdin)
# openstackclient 6 prints a list of {Resource, Limit} rows or a flat dict, depending on version
if isinstance(q, list): q = {r.get("Resource"): r.get("Limit") for r in q}
print(q.get("instances"), q.get("cores"), q.get("ram"))')
if [ "$qi" != 400 ] || [ "$qc" != 800 ] || [ "$qr" != 819200 ]; then
  log "quota of $PROJECT: instances $qi cores $qc ram $qr -> 400 800 819200"
  osc quota set --instances 400 --cores 800 --ram 819200 "$PROJECT"
fi

# "ID STATUS" of every server of the project, once per ID (all pages; while servers build, Nova
# can list one twice: as a build request and as an instance)
statuses() { oscb server list --limit -1 -f value -c ID -c Status | sort -u -k1,1; }

deadline=$(( $(date +%s) + ${BENCH_SEED_TIMEOUT:-900} ))
while :; do
  st=$(statuses)
  total=$(printf '%s' "$st" | grep -c . || true)
  active=$(printf '%s' "$st" | grep -c ' ACTIVE$' || true)
  errors=$(printf '%s' "$st" | grep -c ' ERROR$' || true)
  if [ "$errors" -gt 0 ]; then
    log "deleting $errors servers in ERROR"
    ids=$(printf '%s' "$st" | awk '$2 == "ERROR" {print $1}')
    # shellcheck disable=SC2086
    oscb server delete --wait $ids || log "(some were gone already)"
    sleep 3
    continue
  fi
  if [ "$active" -ge "$N" ]; then
    log "project $PROJECT holds $active ACTIVE servers (wanted $N)"
    break
  fi
  missing=$(( N - total ))
  if [ "$missing" -gt 0 ]; then
    b=$(( missing < BATCH ? missing : BATCH ))
    log "$total servers in $PROJECT ($active ACTIVE): booting $b more"
    novab boot --min-count "$b" --max-count "$b" --nic none --flavor 1 --image devcloud-image \
      "bench-srv-$(date +%s%N | cut -c1-13)" >/dev/null
  else
    log "$active of $total ACTIVE, waiting"
  fi
  [ "$(date +%s)" -lt "$deadline" ] || die "timed out: $active of $N servers ACTIVE in $PROJECT"
  sleep 3
done
