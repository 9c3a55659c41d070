#!/usr/bin/env bash
# Run the multi-process scale-out test (tests/scaleout) on a developer machine:
# throwaway PostgreSQL on 127.0.0.1:${PGPORT:-5435} and Redis on 127.0.0.1:${REDIS_PORT:-6391}
# (ports apart from CI's 5433/6390, so a running test suite is not disturbed), both stopped
# on exit. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PGPORT="${PGPORT:-5435}" REDIS_PORT="${REDIS_PORT:-6391}"
cleanup() {
    scripts/redis_throwaway.sh stop || true
    scripts/pg_throwaway.sh stop || true
}
trap cleanup EXIT
while IFS='=' read -r key value; do
    [ "$key" = DATABASE_URL ] && export DATABASE_URL="$value"
done <<<"$(scripts/pg_throwaway.sh start)"
redis_env=$(scripts/redis_throwaway.sh start)
export REDIS_URL="${redis_env#REDIS_URL=}"
ENGAGE_SCALEOUT=1 ENGAGE_SCALEOUT_STRICT=1 .venv/bin/pytest -m scaleout tests/scaleout "$@"
