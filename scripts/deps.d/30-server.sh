#!/usr/bin/env bash
# The server's end-to-end tests (e2e/server_test.go) drive modelsql with real
# clients: psql, psycopg2 under the system Python (/usr/bin/python3) and the
# PostgreSQL JDBC driver (with a Java runtime). Installs whichever is missing
# from the distribution's packages; a no-op when all are there.
set -euo pipefail

need=()
if ! /usr/bin/python3 -c 'import psycopg2' >/dev/null 2>&1; then
  need+=(python3-psycopg2)
fi
if ! command -v psql >/dev/null 2>&1; then
  need+=(postgresql-client)
fi
if [ ! -e /usr/share/java/postgresql.jar ]; then
  need+=(libpostgresql-jdbc-java)
fi
# The JDBC tests compile their client (javac) and run it: a JDK, not a JRE.
if ! command -v java >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
  need+=(default-jdk-headless)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "30-server.sh: installing ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
