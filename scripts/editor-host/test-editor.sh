#!/usr/bin/env bash
# npm run test:editor — the extension's integration tests in a real VS Code.
# Installs the editor host when missing (install.sh: ~3-5 min the first time),
# builds the extension and the tests (unless `npm test` did: GRADLENS_PREPARED=1),
# prepares a fresh workspace with the examples and test fixtures, and runs the
# mocha suite in the extension host.
# Exit status: the extension host's (0 = all tests passed).
#   GRADLENS_EDITOR_GREP=pattern   run only the matching tests
#   VERBOSE=1                      show the workbench's own log and console
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ROOT=${VSHOST_ROOT:-$REPO/.vshost}
export VSHOST_ROOT="$ROOT"

# Run by `npm test` (scripts/test.sh, GRADLENS_PREPARED=1) the host is installed, the types
# checked and both bundles built already; run alone, this does it.
if [ "${GRADLENS_PREPARED:-}" != 1 ]; then
  bash "$HERE/install.sh"
  # esbuild does not check types: the extension and the tests are type-checked first.
  ( cd "$REPO" && npx tsc --noEmit -p src/extension && npx tsc --noEmit -p test/editor && npx tsc -p ts-plugin &&
    node scripts/build.mjs && node "$HERE/build-tests.mjs" )
fi

WS="$ROOT/ws"
rm -rf "$WS"
mkdir -p "$WS/examples" "$WS/fixtures"
cp "$REPO"/examples/*.gradnet.json "$WS/examples/"
[ -d "$REPO/examples/buggy" ] && cp -r "$REPO/examples/buggy" "$WS/examples/"
[ -d "$REPO/examples/python" ] && cp -r "$REPO/examples/python" "$WS/examples/"
cp -r "$REPO"/test/editor/fixtures/. "$WS/fixtures/"
# The Python layer files the fixtures' networks name (one copy of each, in test/fixtures/python).
cp "$REPO"/test/fixtures/python/net_faults.py "$REPO"/test/fixtures/python/trust_marker.py "$WS/fixtures/"
mkdir -p "$REPO/artifacts"

# Old runs' folders (profiles, logs) are only for post-mortems: keep the last 3.
if [ -d "$ROOT/run" ]; then ls -dt "$ROOT"/run/r* 2>/dev/null | tail -n +4 | xargs -r rm -rf; fi

RC=0
node "$HERE/host.mjs" "--extensionDevelopmentPath=$REPO" \
  "--extensionTestsPath=$REPO/out/editor-tests/index.js" "--artifacts=$REPO/artifacts" "$WS" || RC=$?
if [ -z "${GRADLENS_EDITOR_GREP:-}" ]; then
  # Workspace Trust is decided when a window opens: Restricted Mode gets a window of its own.
  echo "== Restricted Mode (Workspace Trust on, folder not trusted)"
  node "$HERE/host.mjs" --restricted "--extensionDevelopmentPath=$REPO" \
    "--extensionTestsPath=$REPO/out/editor-tests/index.js" "--artifacts=$REPO/artifacts" "$WS" || RC=$((RC ? RC : $?))
  echo "== Panel restore (check, reload the window, find the panel revived)"
  node "$HERE/host.mjs" "--extensionDevelopmentPath=$REPO" \
    "--extensionTestsPath=$REPO/out/editor-tests/suite-restore-1.js" \
    "--then-extensionTestsPath=$REPO/out/editor-tests/suite-restore-2.js" "--artifacts=$REPO/artifacts" "$WS" || RC=$((RC ? RC : $?))
fi
exit $RC
