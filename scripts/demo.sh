#!/bin/bash
# ncli demo (`npm run demo`): against the local test cloud, for real —
#   1. bring the cloud up if needed (npm run cloud:up: idempotent, quick when it is up),
#   2. ncli server list,
#   3. ncli console get-vnc vm1,
#   4. a tunnel to vm1's VNC console on a free local port, in the background,
#   5. a screenshot of the console through the tunnel with a real VNC client (gvnccapture),
#      saved as a PNG whose path is printed,
#   6. the tunnel stopped with Ctrl-C (SIGINT).
# Environment: NCLI_CLOUD_DIR (default /tmp/ncli-cloud), NCLI_DEMO_DIR (where the PNG goes;
# default a new folder under /tmp), NCLI_DEMO_SKIP_UP=1 to skip step 1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
NCLI="$ROOT/bin/ncli"
CLOUD_DIR=${NCLI_CLOUD_DIR:-/tmp/ncli-cloud}
OUT_DIR=${NCLI_DEMO_DIR:-$(mktemp -d /tmp/ncli-demo.XXXXXX)}
mkdir -p "$OUT_DIR"
PNG="$OUT_DIR/vm1-console.png"
TUNNEL_LOG="$OUT_DIR/tunnel.log"
TUNNEL_PID=""
NOTE_PID=""

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
say() { printf '    %s\n' "$*"; }
run() { printf '    $ %s\n' "$*"; "$@"; }
die() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }

cleanup() {
  if [ -n "$NOTE_PID" ]; then kill "$NOTE_PID" 2>/dev/null || true; fi
  if [ -n "$TUNNEL_PID" ] && kill -0 "$TUNNEL_PID" 2>/dev/null; then
    kill -INT "$TUNNEL_PID" 2>/dev/null || true
    wait "$TUNNEL_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if [ ! -x /usr/bin/gvnccapture ]; then
  # a real RFB 3.8 VNC client that saves a PNG (Debian package gvncviewer)
  step "Installing gvncviewer (gvnccapture), the VNC client the demo captures with"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends gvncviewer; } \
    || die "could not install gvncviewer (apt-get install gvncviewer)"
fi
if [ ! -f "$ROOT/dist/manifest.json" ]; then
  step "Building ncli (npm run build)"
  npm run build --silent
fi

if [ "${NCLI_DEMO_SKIP_UP:-}" != 1 ]; then
  step "Making sure the local cloud is up (npm run cloud:up)"
  npm run --silent cloud:up
fi
[ -f "$CLOUD_DIR/clouds.yaml" ] || die "no $CLOUD_DIR/clouds.yaml: is the cloud up? (npm run cloud:up)"
export OS_CLIENT_CONFIG_FILE="$CLOUD_DIR/clouds.yaml" OS_CLOUD=devcloud
say "OS_CLIENT_CONFIG_FILE=$OS_CLIENT_CONFIG_FILE OS_CLOUD=$OS_CLOUD"

step "Servers of the admin project"
run "$NCLI" server list

step "A noVNC console URL for vm1 (open it in a browser; the token expires)"
run "$NCLI" console get-vnc vm1

# A free port in 5950-5999: gvnccapture takes a display number, port - 5900.
PORT=$(node -e '
  const net = require("node:net");
  const ports = Array.from({ length: 50 }, (_, i) => 5950 + i);
  (function next() {
    const p = ports.shift();
    if (p === undefined) process.exit(1);
    const s = net.createServer().once("error", next).listen({ host: "127.0.0.1", port: p, exclusive: true }, () => s.close(() => console.log(p)));
  })();
') || die "no free port in 5950-5999"

step "A tunnel from 127.0.0.1:$PORT to vm1's VNC console, in the background"
printf '    $ %s &\n' "$NCLI console tunnel vm1 --local $PORT"
"$NCLI" console tunnel vm1 --local "$PORT" >"$TUNNEL_LOG" 2>&1 &
TUNNEL_PID=$!
for _ in $(seq 1 100); do
  grep -q '^Forwarding from' "$TUNNEL_LOG" && break
  kill -0 "$TUNNEL_PID" 2>/dev/null || { cat "$TUNNEL_LOG" >&2; die "the tunnel exited"; }
  sleep 0.1
done
grep -q '^Forwarding from' "$TUNNEL_LOG" || { cat "$TUNNEL_LOG" >&2; die "the tunnel did not start within 10 s"; }
sed 's/^/    /' "$TUNNEL_LOG"

# Put something on vm1's screen (the fake hypervisor's screen is a TigerVNC X display) so the
# screenshot shows it is live; skipped when xmessage is not installed.
VNC_DISPLAY=$(( $(sed -n 's/^VNC_PORT=//p' "$CLOUD_DIR/cloud.env" 2>/dev/null || echo 5901) - 5900 ))
if command -v xmessage >/dev/null 2>&1; then
  DISPLAY=":$VNC_DISPLAY" xmessage -center -buttons '' "Hello from the ncli demo, $(date '+%Y-%m-%d %H:%M:%S')" >/dev/null 2>&1 &
  NOTE_PID=$!
  sleep 1
fi

step "A screenshot of vm1's console through the tunnel, with a real VNC client"
rm -f "$PNG"
run /usr/bin/gvnccapture "127.0.0.1:$((PORT - 5900))" "$PNG"
[ -s "$PNG" ] || die "gvnccapture saved nothing"
SIZE=$(node -e '
  const b = require("node:fs").readFileSync(process.argv[1]);
  if (b.toString("latin1", 1, 4) !== "PNG") process.exit(1);
  console.log(`${b.readUInt32BE(16)}x${b.readUInt32BE(20)}`);
' "$PNG") || die "$PNG is not a PNG"
say "saved $PNG ($SIZE PNG, $(stat -c %s "$PNG") bytes)"

step "The same screen with ncli alone: no viewer, no tunnel, no display (ncli console screenshot)"
SHOT="$OUT_DIR/vm1-ncli-screenshot.png"
run "$NCLI" console screenshot vm1 -o "$SHOT"
if [ -n "$NOTE_PID" ]; then kill "$NOTE_PID" 2>/dev/null || true; NOTE_PID=""; fi
[ -s "$SHOT" ] || die "ncli console screenshot saved nothing"

step "Stopping the tunnel (Ctrl-C)"
kill -INT "$TUNNEL_PID"
rc=0; wait "$TUNNEL_PID" || rc=$?
TUNNEL_PID=""
sed 's/^/    /' "$TUNNEL_LOG"
say "tunnel exited with code $rc"
[ "$rc" = 0 ] || die "the tunnel did not exit cleanly"

step "Done"
say "screenshots: $PNG (gvnccapture through the tunnel), $SHOT (ncli console screenshot)"
