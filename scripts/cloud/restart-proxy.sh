#!/bin/bash
# restart-proxy.sh NAME: start Nova's console proxy NAME (nova-novncproxy, nova-serialproxy,
# nova-spicehtml5proxy) of a running cloud again if it is gone (or its inputs changed), and wait
# until its port answers. Seconds, where up.sh checks every service (a minute or more on a
# loaded machine): the console test that kills nova-serialproxy uses it, so that other tests
# meet the proxy down as briefly as possible. Other services: up.sh; nova-compute:
# restart-compute.sh.
set -euo pipefail
# shellcheck source=scripts/cloud/up.sh
source "$(dirname "${BASH_SOURCE[0]}")/up.sh"   # functions only (up.sh runs main when executed)

name=${1:-}
case $name in
  nova-novncproxy | nova-serialproxy | nova-spicehtml5proxy) ;;
  *) echo "usage: $0 nova-novncproxy|nova-serialproxy|nova-spicehtml5proxy" >&2; exit 2 ;;
esac
[ -f "$CLOUD_DIR/cloud.env" ] || die "no cloud at $CLOUD_DIR: run scripts/cloud/up.sh"
lock_cloud
cd "$CLOUD_DIR"
ensure_console_proxy "$name" 60
ts "$name running (pid $(pid_of "$name"))"
