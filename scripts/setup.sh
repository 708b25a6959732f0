#!/usr/bin/env bash
# Everything the tests need on a fresh Debian 12 machine: the Debian packages of the test peers
# (the Secret Service peers for the keychain tests), npm packages (`npm ci`, which builds dist/), and the real
# local cloud (`npm run cloud:up`, which installs the cloud's own packages). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
# (spice-client-gtk: spicy-screenshot, the SPICE client of the tests; dbus-x11: dbus-launch for
#  keyring sessions; the cloud's own packages (nginx, qemu-system-x86, spice-html5, ...) come with up.sh)
PKGS="git curl ca-certificates openssl python3 make g++ dbus dbus-x11 gnome-keyring
 websockify gvncviewer spice-client-gtk x11-utils zsh tmux bash-completion hyperfine python3-openstackclient python3-novaclient python3-cinderclient"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "setup: apt-get install$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  # never let package maintainer scripts start services on this machine
  [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d; }
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
npm ci --no-audit --no-fund
npm run cloud:up
