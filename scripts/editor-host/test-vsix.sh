#!/usr/bin/env bash
# The packaged extension in a clean VS Code: builds gradlens.vsix (npm run
# package; under `npm test` only its vsce step, the production build being made
# once for every suite), installs it into a fresh code-server profile, and runs the same
# editor tests against the installed copy (no source checkout on its path): its Python
# layers run on the relay and runner.py inside the .vsix.
# The tests are loaded through a tiny test-only development extension
# (VS Code runs extensionTestsPath only beside one), which contributes nothing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ROOT=${VSHOST_ROOT:-$REPO/.vshost}
export VSHOST_ROOT="$ROOT"

if [ "${GRADLENS_PREPARED:-}" = 1 ]; then
  # `npm test` (scripts/test.sh) installed the host and made the production build and the tests' bundle.
  ( cd "$REPO" && npm run --silent package:vsix )
else
  bash "$HERE/install.sh"
  ( cd "$REPO" && npm run --silent package && node "$HERE/build-tests.mjs" )
fi
RUNNER="$REPO/out/editor-tests"
cat > "$RUNNER/package.json" <<JSON
{ "name": "gradlens-vsix-tests", "publisher": "gradlens-tests", "version": "0.0.0",
  "engines": { "vscode": "^1.90.0" }, "contributes": {} }
JSON

WS="$ROOT/ws-vsix"
rm -rf "$WS"
mkdir -p "$WS/examples" "$WS/fixtures"
cp "$REPO"/examples/*.gradnet.json "$WS/examples/"
cp -r "$REPO"/examples/buggy "$REPO"/examples/python "$WS/examples/"
cp -r "$REPO"/test/editor/fixtures/. "$WS/fixtures/"
cp "$REPO"/test/fixtures/python/net_faults.py "$REPO"/test/fixtures/python/trust_marker.py "$WS/fixtures/"
mkdir -p "$REPO/artifacts/vsix"
exec node "$HERE/host.mjs" "--install-extension=$REPO/gradlens.vsix" "--extensionDevelopmentPath=$RUNNER" \
  "--extensionTestsPath=$RUNNER/index.js" "--artifacts=$REPO/artifacts/vsix" "$WS"
