#!/usr/bin/env bash
# npm test: every suite, with each set-up step done once.
#
#   1. the editor host (scripts/editor-host/install.sh; returns at once when installed),
#      and Debian's python3 with NumPy and PyTorch for the Python-layer tests
#      (scripts/setup-python.sh; the same)
#   2. one build, the production one that ships (scripts/build.mjs --production):
#      the CLI tests, the browser tests, the editor tests and the .vsix all run it
#   3. the editor tests' bundle (scripts/editor-host/build-tests.mjs)
# then typecheck, test:node, test:fuzz, test:browser, test:editor, test:vsix with
# GRADLENS_PREPARED=1, which tells each of them that steps 1-3 are done (run on its
# own, each test:* script does what it needs itself). Stops at the first failure;
# prints each step's wall time at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export GRADLENS_PREPARED=1

T0=$(date +%s)
TIMES=()
step() {
  local name=$1; shift
  local t=$(date +%s)
  echo "== npm test: $name"
  "$@"
  TIMES+=("$(printf '%-14s %4ss' "$name" $(( $(date +%s) - t )))")
}
trap 'echo "== npm test: times"; for t in "${TIMES[@]}"; do echo "   $t"; done; echo "   total          $(( $(date +%s) - T0 ))s"' EXIT

step "editor host" bash scripts/editor-host/install.sh
step "python" bash scripts/setup-python.sh
step "build" node scripts/build.mjs --production
step "build tests" node scripts/editor-host/build-tests.mjs
step "typecheck" npm run --silent typecheck
step "test:node" npm run --silent test:node
step "test:fuzz" npm run --silent test:fuzz
step "test:browser" npm run --silent test:browser
step "test:editor" npm run --silent test:editor
step "test:vsix" npm run --silent test:vsix
