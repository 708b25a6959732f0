#!/bin/bash
# Federated login for the ncli test cloud (OpenID Connect): a real OpenID Provider (panva's
# oidc-provider, scripts/cloud/oidc/idp.mjs) on 127.0.0.1:5556, Apache with mod_auth_openidc
# (scripts/cloud/oidc/apache-oidc.conf) on 127.0.0.1:5080 in front of Keystone, Keystone's
# identity provider, mapping and `openid` protocol (scripts/cloud/oidc/keystone_oidc.py), and a
# clouds.yaml entry per auth type. See scripts/cloud/README.md "Federated login".
#
# Run by up.sh after the cloud is up (`oidc-up.sh --locked`: up.sh already holds the lock); on
# its own (`bash scripts/cloud/oidc-up.sh`) it takes the lock itself. Idempotent, like up.sh.
# Keystone's side runs as a second Keystone process (same database and Fernet keys) with the
# `openid` method and [federation] settings of oidc/keystone-oidc.conf, on a unix socket only
# Apache reaches: the main Keystone's configuration is not changed.
set -euo pipefail
T0=${T0:-$(date +%s)}
# shellcheck source=scripts/cloud/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OIDC_DIR=$CLOUD_SCRIPTS/oidc
REPO_DIR=$(cd "$CLOUD_SCRIPTS/../.." && pwd)
IDP_PORT=5556
OIDC_KEYSTONE_PORT=5080
IDP_URL=https://127.0.0.1:$IDP_PORT   # the harness's server certificate (etc/tls)
OIDC_KEYSTONE_URL=http://127.0.0.1:$OIDC_KEYSTONE_PORT
OIDC_IDP_ID=ncli-idp
OIDC_ETC=$ETC_DIR/apache-oidc
OIDC_RUN=$RUN_DIR/apache-oidc
OIDC_LOG_LEVEL=${OIDC_LOG_LEVEL:-warn}
OIDC_PACKAGES="apache2 libapache2-mod-auth-openidc chromium"
export IDP_URL OIDC_IDP_ID

install_oidc_packages() {   # as up.sh installs its own: maintainer scripts may not start apache2
  local missing="" p
  for p in $OIDC_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  [ -z "$missing" ] && return 0
  [ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root, or install them)"
  ts "installing packages:$missing (log: $LOG_DIR/apt.log)"
  local policy=/usr/sbin/policy-rc.d backup="" ours=0 rc=0
  if ! { [ -x "$policy" ] && grep -qx 'exit 101' "$policy"; }; then
    if [ -e "$policy" ]; then backup=$(mktemp); cp -p "$policy" "$backup"; fi
    printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; ours=1
  fi
  {
    DEBIAN_FRONTEND=noninteractive apt-get update &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
  } >> "$LOG_DIR/apt.log" 2>&1 || rc=$?
  if [ $ours = 1 ]; then
    if [ -n "$backup" ]; then mv "$backup" "$policy"; else rm -f "$policy"; fi
  fi
  [ $rc = 0 ] || { tail -n 20 "$LOG_DIR/apt.log" >&2; die "apt-get install failed (see $LOG_DIR/apt.log)"; }
}

# The IdP runs from one bundled file in the state folder (esbuild, with oidc-provider inside), so
# that it never runs from, or imports from, a checkout: a second checkout's up.sh finds the same
# content and restarts nothing, and a deleted checkout leaves it running (lib.sh install_py does
# the same for the Python services).
start_idp() {
  local built=$CLOUD_DIR/oidc/idp.mjs
  mkdir -p "$CLOUD_DIR/oidc"
  if [ -x "$REPO_DIR/node_modules/.bin/esbuild" ] && [ -f "$REPO_DIR/node_modules/oidc-provider/package.json" ]; then
    ( cd "$REPO_DIR" && node_modules/.bin/esbuild "$OIDC_DIR/idp.mjs" --bundle --platform=node --format=esm \
        --target=node20 --log-level=warning --outfile="$built.tmp.$$" \
        --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" ) ||
      die "could not bundle $OIDC_DIR/idp.mjs"
    if cmp -s "$built.tmp.$$" "$built"; then rm -f "$built.tmp.$$"; else mv -f "$built.tmp.$$" "$built"; fi
  elif [ -s "$built" ]; then
    ts "idp: no node_modules in $REPO_DIR: keeping the IdP bundle the state folder has"
  else
    die "node_modules/oidc-provider is missing in $REPO_DIR: run npm ci first"
  fi
  SERVICE_INPUTS[idp]="$built"
  ensure idp 30 "$IDP_PORT" https_ok "$IDP_URL/.well-known/openid-configuration" -- \
    node "$built" --port "$IDP_PORT" --keystone-url "$OIDC_KEYSTONE_URL" \
      --tls-cert "$TLS_DIR/server.pem" --tls-key "$TLS_DIR/private/server.key"
}

KEYSTONE_OIDC_SOCK=$RUN_DIR/keystone-oidc.sock
# (a long timeout: a client that gives up while keystone loads can wedge its worker, eventlet
#  "cannot switch to a different thread")
sock_ok() { curl -s -o /dev/null -m 30 --unix-socket "$KEYSTONE_OIDC_SOCK" http://127.0.0.1/v3; }
start_keystone_oidc() {
  # the WebSSO page, copied beside the config (the config names no checkout path)
  OIDC_ETC_KEYSTONE=$ETC_DIR/keystone
  cmp -s "$OIDC_DIR/sso_callback_template.html" "$OIDC_ETC_KEYSTONE/sso_callback_template.html" ||
    cp "$OIDC_DIR/sso_callback_template.html" "$OIDC_ETC_KEYSTONE/sso_callback_template.html"
  TEMPLATE_DIR=$OIDC_DIR render keystone-oidc.conf "$ETC_DIR/keystone/keystone-oidc.conf"
  SERVICE_INPUTS[keystone-oidc]="$ETC_DIR/keystone/keystone.conf $ETC_DIR/keystone/keystone-oidc.conf $OIDC_ETC_KEYSTONE/sso_callback_template.html"
  ensure keystone-oidc 60 0 sock_ok -- \
    env OS_KEYSTONE_CONFIG_DIR="$ETC_DIR/keystone" OS_KEYSTONE_CONFIG_FILES="keystone.conf;keystone-oidc.conf" \
      uwsgi --plugin python3 --master --die-on-term --need-app --buffer-size 65535 --vacuum \
      --add-header "Connection: close" --http-socket "$KEYSTONE_OIDC_SOCK" --chmod-socket=660 \
      --chown-socket=root:www-data --processes 1 --threads 4 --enable-threads \
      --wsgi-file /usr/bin/keystone-wsgi-public --procname-prefix keystone-oidc-
}

start_apache() {
  mkdir -p "$OIDC_ETC" "$OIDC_RUN"
  # the passphrase that encrypts mod_auth_openidc's session cookies: made once, kept
  [ -s "$OIDC_ETC/passphrase" ] || (umask 077; openssl rand -hex 24 > "$OIDC_ETC/passphrase")
  OIDC_CRYPTO_PASSPHRASE=$(cat "$OIDC_ETC/passphrase")
  TEMPLATE_DIR=$OIDC_DIR render apache-oidc.conf "$OIDC_ETC/apache2.conf"
  chown www-data:www-data "$OIDC_RUN" 2>/dev/null || true
  SERVICE_INPUTS[apache-oidc]="$OIDC_ETC/apache2.conf"
  ensure apache-oidc 30 "$OIDC_KEYSTONE_PORT" http_ok "$OIDC_KEYSTONE_URL/v3" -- \
    /usr/sbin/apache2 -f "$OIDC_ETC/apache2.conf" -DFOREGROUND
}

setup_keystone_federation() {
  local version
  version=$({ cat "$OIDC_DIR/keystone_oidc.py"; echo "$IDP_URL"; } | sha256sum | cut -c1-16)
  [ "$(cat "$DATA_DIR/keystone-oidc.done" 2>/dev/null)" = "$version" ] && return 0
  ts "keystone: identity provider $OIDC_IDP_ID, mapping, protocol openid"
  step keystone-oidc env PYTHONPATH="$PY_DIR" KEYSTONE_URL="$KEYSTONE_URL" "$PY" "$OIDC_DIR/keystone_oidc.py"
  echo "$version" > "$DATA_DIR/keystone-oidc.done"
}

# clouds.yaml: one cloud per auth type, appended to what up.sh wrote (it rewrites the file on
# every run, so this runs every time too).
write_oidc_clouds() {
  local yaml=$CLOUD_DIR/clouds.yaml
  [ -f "$yaml" ] || die "$yaml is missing: run up.sh"
  grep -q '^  devcloud-oidcpassword:' "$yaml" && return 0
  local fed="auth_url: $OIDC_KEYSTONE_URL/v3
      identity_provider: $OIDC_IDP_ID
      protocol: openid
      discovery_endpoint: $IDP_URL/.well-known/openid-configuration"
  local scope="project_name: demo
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
    cacert: $TLS_DIR/ca.pem"
  umask 077
  cat >> "$yaml" <<EOF
  # Federated login through the test IdP (scripts/cloud/oidc-up.sh): alice is mapped to project
  # demo (member); bob (bob-secret) is not mapped.
  devcloud-oidcpassword:
    auth_type: v3oidcpassword
    auth:
      $fed
      client_id: ncli-confidential
      client_secret: ncli-confidential-secret
      username: alice
      password: alice-secret
      openid_scope: openid profile
      $scope
  devcloud-oidcclientcredentials:
    auth_type: v3oidcclientcredentials
    auth:
      $fed
      client_id: ncli-service
      client_secret: ncli-service-secret
      openid_scope: openid
      $scope
  devcloud-oidcaccesstoken:
    auth_type: v3oidcaccesstoken
    auth:
      auth_url: $OIDC_KEYSTONE_URL/v3
      identity_provider: $OIDC_IDP_ID
      protocol: openid
      $scope
  devcloud-oidcauthcode:
    auth_type: v3oidcauthcode
    auth:
      $fed
      client_id: ncli
      openid_scope: openid profile
      $scope
  devcloud-oidcdeviceauthz:
    auth_type: v3oidcdeviceauthz
    auth:
      $fed
      client_id: ncli
      openid_scope: openid profile
      $scope
  devcloud-websso:
    auth_type: v3websso
    auth:
      auth_url: $OIDC_KEYSTONE_URL/v3
      identity_provider: $OIDC_IDP_ID
      protocol: openid
      $scope
EOF
  umask 022
  {
    echo "IDP_URL=$IDP_URL"
    echo "OIDC_KEYSTONE_URL=$OIDC_KEYSTONE_URL/v3"
    echo "OIDC_IDP_ID=$OIDC_IDP_ID"
    echo "OIDC_WEBSSO_ORIGIN=http://127.0.0.1:9990/auth/websso/"
  } >> "$CLOUD_DIR/cloud.env"
}

main() {
  [ "${1:-}" = --locked ] || lock_cloud
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  install_oidc_packages
  start_idp
  start_keystone_oidc
  start_apache
  setup_keystone_federation
  write_oidc_clouds
  ts "federated login ready: IdP $IDP_URL, Keystone (mod_auth_openidc) $OIDC_KEYSTONE_URL/v3"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
