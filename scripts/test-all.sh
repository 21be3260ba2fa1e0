#!/usr/bin/env bash
# The one test command (README, .ci/run): lint, format, types, unit + integration tests, end-to-end.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
passed=0
failed=0
# Wall time of each step: printed at the end, and appended to $PULMOLENS_STEP_TIMES when set
# (.ci/run prints one table with setup included), so slow steps are seen as they grow.
times=""
step() {
  local name="$1"; shift
  local t0 result
  t0=$(date +%s)
  printf '\n\033[1m== %s ==\033[0m\n' "$name"
  if "$@"; then result=ok; passed=$((passed + 1)); else result=FAILED; status=1; failed=$((failed + 1)); fi
  local secs=$(($(date +%s) - t0))
  echo "-- $name: $result (${secs} s)"
  times+="$(printf '%6ss  %-8s %s' "$secs" "$result" "$name")"$'\n'
  if [[ -n "${PULMOLENS_STEP_TIMES:-}" ]]; then printf '%s\t%s\t%s\n' "$name" "$secs" "$result" >>"$PULMOLENS_STEP_TIMES"; fi
}
step "lint (eslint)" npx eslint . --max-warnings=0
step "format (prettier)" npx prettier --check . --log-level=warn
step "types (tsc)" npx tsc --noEmit -p tsconfig.json
step "unit + integration (vitest)" npx vitest run
if compgen -G "tests/e2e/*.spec.ts" >/dev/null; then
  step "end-to-end (playwright, Debian chromium)" npx playwright test
fi
echo
printf '%s' "$times"
echo "steps: $passed passed, $failed failed"
exit $status
