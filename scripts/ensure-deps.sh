#!/usr/bin/env bash
# Installs what the tests need when it is missing. Each concern adds a script
# to scripts/deps.d/; they run in name order with MODELSQL_TOOLS set.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${MODELSQL_TOOLS:=$HOME/.cache/modelsql-tools}"
export MODELSQL_TOOLS
mkdir -p "$MODELSQL_TOOLS/bin"
for s in scripts/deps.d/*.sh; do
  [ -e "$s" ] || continue
  bash "$s"
done
