#!/usr/bin/env bash
# The main job: runs examples/demo.sql on the embedded default data directory,
# with the test LLM server (modelsql fake-llm) serving the remote model.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${MODELSQL_BIN:-bin/modelsql}
"$bin" fake-llm --listen 127.0.0.1:18089 --api-key demo-key >/dev/null &
llm=$!
trap 'kill $llm 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/18089) 2>/dev/null && break
  sleep 0.1
done
"$bin" --data "${MODELSQL_DATA:-./modelsql-data}" -f examples/demo.sql
