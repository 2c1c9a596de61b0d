#!/usr/bin/env bash
# The whole suite: lint, types, then pytest on the embedded defaults (SQLite, in-memory
# channel layer); then again on PostgreSQL + Redis when CI=true or DATABASE_URL/REDIS_URL
# are set. Under CI those servers must be reachable, or the run fails.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
status=0

run_pytest() {  # run_pytest LABEL [env assignments...]
  local label=$1; shift
  echo "=== pytest on $label ==="
  env "$@" "$BIN/pytest" -q -p no:randomly
  local code=$?
  if [ "$code" -eq 5 ]; then
    echo "pytest collected no tests on $label: that is a failure here." >&2
    return 1
  fi
  return "$code"
}

echo "=== ruff ==="
"$BIN/ruff" check . && "$BIN/ruff" format --check . || status=1
echo "=== mypy ==="
"$BIN/mypy" trellis config || status=1

run_pytest "SQLite, in-memory channel layer" -u DATABASE_URL -u REDIS_URL || status=1

PG_URL=${DATABASE_URL:-}
RD_URL=${REDIS_URL:-}
if [ "${CI:-}" = "true" ]; then
  PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/trellis}
  RD_URL=${RD_URL:-redis://127.0.0.1:6379/0}
fi
if [ -n "$PG_URL$RD_URL" ]; then
  if ! "$BIN/python" scripts/check_services.py "$PG_URL" "$RD_URL"; then
    echo "PostgreSQL/Redis not reachable; the second run cannot happen." >&2
    exit 1
  fi
  run_pytest "PostgreSQL + Redis" DATABASE_URL="$PG_URL" REDIS_URL="$RD_URL" \
    REDIS_KEY_PREFIX="trellis-test-$$" || status=1
fi
exit $status
