#!/usr/bin/env bash
# The catalog comparison tests (e2e/pgcatalog_test.go) start Debian's
# PostgreSQL server as the reference for what clients see, and reflect
# tables with SQLAlchemy and pandas under the system Python. Installs
# whichever is missing from the distribution's packages; a no-op when all
# are there.
set -euo pipefail

need=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if ! /usr/bin/python3 -c 'import sqlalchemy' >/dev/null 2>&1; then
  need+=(python3-sqlalchemy)
fi
if ! /usr/bin/python3 -c 'import pandas' >/dev/null 2>&1; then
  need+=(python3-pandas)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "35-postgres.sh: installing ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
# The Debian package creates and starts a cluster; the tests start their own.
if command -v pg_lsclusters >/dev/null 2>&1; then
  $sudo systemctl disable --now postgresql >/dev/null 2>&1 || true
fi
