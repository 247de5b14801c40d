#!/usr/bin/env bash
# The main job: runs examples/demo.sql on the embedded default data directory,
# with the test LLM server (modelsql fake-llm) serving the remote model.
# The server listens on a free port; demo.sql's ENDPOINT is pointed at it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${MODELSQL_BIN:-bin/modelsql}
tmp=$(mktemp -d)
llm=
cleanup() {
  if [ -n "$llm" ]; then kill "$llm" 2>/dev/null || true; wait "$llm" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" fake-llm --listen 127.0.0.1:0 --url-file "$tmp/llm-url" --api-key demo-key >/dev/null 2>"$tmp/llm-err" &
llm=$!
for _ in $(seq 100); do
  [ -s "$tmp/llm-url" ] && break
  if ! kill -0 "$llm" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ ! -s "$tmp/llm-url" ]; then
  echo "demo: the test LLM server (modelsql fake-llm) did not start:" >&2
  cat "$tmp/llm-err" >&2
  exit 1
fi
url=$(cat "$tmp/llm-url")

# demo.sql names the server as http://127.0.0.1:18089 (readable as written).
sed "s|http://127.0.0.1:18089|$url|g" examples/demo.sql >"$tmp/demo.sql"
if ! grep -q "$url" "$tmp/demo.sql"; then
  echo "demo: examples/demo.sql no longer names http://127.0.0.1:18089 as the ENDPOINT" >&2
  exit 1
fi
"$bin" --data "${MODELSQL_DATA:-./modelsql-data}" -f "$tmp/demo.sql"
