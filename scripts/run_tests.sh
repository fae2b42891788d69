#!/usr/bin/env bash
# The whole suite: SQLite always; PostgreSQL too when JIEBANG_TEST_POSTGRES=1 or in CI.
# Expects the project's venv first on PATH (the Makefile does that).
set -uo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export JIEBANG_VAR_DIR="${JIEBANG_VAR_DIR:-$PWD/var/test}"

pytest_ok() {  # pytest's "no tests collected" (5) is not a failure of the code
  pytest "$@"; local rc=$?
  [ $rc -eq 5 ] && { echo "pytest: no tests collected"; return 0; }
  return $rc
}

check_migrations() {  # upgrade head, then prove the models and the migrations agree
  JIEBANG_DATABASE_URL="$1" alembic upgrade head && JIEBANG_DATABASE_URL="$1" alembic check
}

status=0
sqlite_url="sqlite:///$PWD/var/test/migrations-check.db"
mkdir -p var/test && rm -f var/test/migrations-check.db
echo "== SQLite: migrations =="; check_migrations "$sqlite_url" || status=1
echo "== SQLite: pytest =="; pytest_ok -q "$@" || status=1

if [ "${JIEBANG_TEST_POSTGRES:-0}" = 1 ] || [ -n "${CI:-}" ]; then
  pgdir=$(mktemp -d /tmp/jiebang-pg.XXXXXX)
  trap 'scripts/pg_test_server.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
  if url=$(scripts/pg_test_server.sh start "$pgdir"); then
    echo "== PostgreSQL: migrations =="; check_migrations "$url" || status=1
    echo "== PostgreSQL: pytest =="
    # the browser tests already ran against their own SQLite server above
    JIEBANG_TEST_DATABASE_URL="$url" pytest_ok -q -m "not e2e" "$@" || status=1
  else
    echo "could not start PostgreSQL"; status=1
  fi
fi
exit $status
