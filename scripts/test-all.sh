#!/usr/bin/env bash
# The one test command (README, .ci/run): lint, format, types, unit + integration tests, end-to-end.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
passed=0
failed=0
step() {
  local name="$1"; shift
  printf '\n\033[1m== %s ==\033[0m\n' "$name"
  if "$@"; then echo "-- $name: ok"; passed=$((passed + 1)); else echo "-- $name: FAILED"; status=1; failed=$((failed + 1)); fi
}
step "lint (eslint)" npx eslint . --max-warnings=0
step "format (prettier)" npx prettier --check . --log-level=warn
step "types (tsc)" npx tsc --noEmit -p tsconfig.json
step "unit + integration (vitest)" npx vitest run
if compgen -G "tests/e2e/*.spec.ts" >/dev/null; then
  step "end-to-end (playwright, Debian chromium)" npx playwright test
fi
echo
echo "steps: $passed passed, $failed failed"
exit $status
