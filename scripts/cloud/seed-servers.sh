#!/bin/bash
# seed-servers.sh N [--batch B]: make sure the cloud's admin project holds at least N servers
# named bench-001 ... bench-N (for benchmarks that need many servers across pages of 20).
# Idempotent: only the missing ones are booted, in batches of B (default 50; one multi-create
# request each), and waited for until ACTIVE.
# seed-servers.sh --delete: delete all bench-* servers again.
# Needs a running cloud (scripts/cloud/up.sh).
set -euo pipefail
T0=$(date +%s)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${1:-}" =~ ^([0-9]+|--delete)$ ]] || { echo "usage: $0 N [--batch B] | $0 --delete" >&2; exit 2; }
http_ok "http://127.0.0.1:$NOVA_PORT/" && http_ok "$KEYSTONE_URL/v3" ||
  die "the cloud is not running (nova-api or keystone does not answer): run scripts/cloud/up.sh"

lock_cloud
export KEYSTONE_URL PASSWORD CLOUD_DIR
"$PY" "$PY_SRC/cloud_seed.py" "$@"   # a one-shot client: runs from the checkout
ts "done"
