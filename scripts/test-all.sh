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
# eslint and tsc each keep one core busy: run them side by side, then print each one's output.
lint_and_types() {
  local dir rc=0
  dir="$(mktemp -d)"
  npx eslint . --max-warnings=0 >"$dir/lint" 2>&1 &
  local lint_pid=$!
  npx tsc --noEmit -p tsconfig.json >"$dir/types" 2>&1 &
  local types_pid=$!
  if wait "$lint_pid"; then echo "eslint: ok"; else echo "eslint: FAILED"; rc=1; fi
  cat "$dir/lint"
  if wait "$types_pid"; then echo "tsc: ok"; else echo "tsc: FAILED"; rc=1; fi
  cat "$dir/types"
  rm -rf "$dir"
  return $rc
}
step "lint and types (eslint, tsc side by side)" lint_and_types
step "format (prettier)" npx prettier --check . --log-level=warn
step "unit + integration (vitest)" npx vitest run
if compgen -G "tests/e2e/*.spec.ts" >/dev/null; then
  step "end-to-end (playwright, Debian chromium)" npx playwright test
fi
echo
printf '%s' "$times"
echo "steps: $passed passed, $failed failed"
exit $status
