#!/usr/bin/env bash
# The project's test command (the README's and CI's): installs what the tests need, builds the solution in Release
# with warnings as errors, runs every test project, and ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
LOG_DIR=${TEST_LOG_DIR:-artifacts/test-logs}
mkdir -p "$LOG_DIR"

need_apt=()
# A real broker for the system tests: Docker (Testcontainers) if an engine answers, else Debian's rabbitmq-server.
if ! { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; } && [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
  need_apt+=(rabbitmq-server)
fi
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing ${need_apt[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null \
      || echo "warning: could not install ${need_apt[*]}"
  else
    echo "warning: ${need_apt[*]} missing and cannot be installed (not root or no apt-get)"
  fi
fi

passed=0; failed=0; skipped=0
echo "== build (Release, warnings are errors)"
if ! dotnet build Recommender.sln -c Release -nologo -clp:NoSummary -warnaserror > "$LOG_DIR/build.log" 2>&1; then
  grep -E "error|warning" "$LOG_DIR/build.log" | sort -u | head -50
  echo "build failed (full log: $LOG_DIR/build.log)"
  echo "0 passed, 1 failed"
  exit 1
fi
grep -E "[0-9]+ Warning\(s\)|[0-9]+ Error\(s\)" "$LOG_DIR/build.log" || true

echo "== tests"
dotnet test --solution Recommender.sln -c Release --no-build 2>&1 | tee "$LOG_DIR/test.log"
test_rc=${PIPESTATUS[0]}
# Microsoft.Testing.Platform prints one summary per run: "total: N / failed: N / succeeded: N / skipped: N".
read -r t_pass t_fail t_skip < <(awk '
  /^[[:space:]]*failed:[[:space:]]*[0-9]+/    {f=$2}
  /^[[:space:]]*succeeded:[[:space:]]*[0-9]+/ {s=$2}
  /^[[:space:]]*skipped:[[:space:]]*[0-9]+/   {k=$2}
  END {printf "%d %d %d\n", s, f, k}' "$LOG_DIR/test.log")
passed=$((passed + t_pass)); failed=$((failed + t_fail)); skipped=$((skipped + t_skip))
if [ "$test_rc" -ne 0 ] && [ "$t_fail" -eq 0 ]; then
  echo "dotnet test exited $test_rc without a failed test (see $LOG_DIR/test.log)"
  failed=$((failed + 1))
fi

if [ -f deploy/validate.sh ]; then
  echo "== deploy validation"
  if bash deploy/validate.sh --skip-dotnet 2>&1 | tee "$LOG_DIR/deploy.log"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

if [ "${t_fail:-0}" -gt 0 ]; then
  # Repeat each failed test with the first lines of its message next to the final line, where a truncated CI log
  # still shows it.
  echo "== failed tests"
  grep -A4 -E "^failed " "$LOG_DIR/test.log" | grep -vE "^[[:space:]]+from " | head -60
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
