#!/usr/bin/env bash
# Proves the editor tests catch a panel that does not render: runs the palette
# test against a copy of the extension whose webview bundle throws at load, and
# succeeds only if that run FAILS. (Nothing in the product knows about this.)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ROOT=${VSHOST_ROOT:-$REPO/.vshost}
export VSHOST_ROOT="$ROOT"
bash "$HERE/install.sh" && ( cd "$REPO" && node scripts/build.mjs && node "$HERE/build-tests.mjs" ) || exit 2

BROKEN="$ROOT/broken-ext"
rm -rf "$BROKEN" && mkdir -p "$BROKEN/media"
cp "$REPO/package.json" "$BROKEN/"
for d in dist node_modules src; do ln -s "$REPO/$d" "$BROKEN/$d"; done
cp "$REPO"/media/* "$BROKEN/media/"
echo 'throw new Error("deliberately broken webview bundle");' > "$BROKEN/media/webview.js"

WS="$ROOT/ws-broken"
rm -rf "$WS" && mkdir -p "$WS/examples" && cp "$REPO"/examples/*.gradnet.json "$WS/examples/"
if GRADLENS_EDITOR_GREP="activates|command palette" node "$HERE/host.mjs" "--extensionDevelopmentPath=$BROKEN" \
    "--extensionTestsPath=$REPO/out/editor-tests/index.js" "--artifacts=$ROOT/broken-artifacts" "$WS"; then
  echo "prove-failure: the tests PASSED with a broken panel: they do not detect it"; exit 1
fi
echo "prove-failure: OK, a panel that does not render fails the editor tests"
