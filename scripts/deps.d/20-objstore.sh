#!/usr/bin/env bash
# Object-storage integration tests (internal/objstore) need a real
# S3-compatible server with STS AssumeRole on loopback: MinIO, built from
# source with `go install` (the module proxy is the only source we use).
# The tests start it themselves; this script only installs the binary.
#
# Cold machine (empty module and build caches): 5-10 minutes on 2 cores
# (measured 5m13s idle, 9m42s with other builds running; ~7 min of CPU).
# Warm: a no-op.
set -euo pipefail

: "${MODELSQL_TOOLS:=$HOME/.cache/modelsql-tools}"
MINIO_MODULE=github.com/minio/minio
# Pinned: the last published version (the project is no longer maintained
# upstream, so @latest will not move, but a pin keeps builds reproducible).
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

bin_dir="$MODELSQL_TOOLS/bin"
stamp="$bin_dir/.minio.version"

if [ -x "$bin_dir/minio" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$MINIO_VERSION" ]; then
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "20-objstore.sh: go is not on PATH; cannot build MinIO" >&2
  exit 1
fi

mkdir -p "$bin_dir"
echo "20-objstore.sh: building MinIO $MINIO_VERSION into $bin_dir (5-10 minutes on a cold 2-core machine)..."
start=$(date +%s)
# Build outside any module so the project's go.mod is not involved.
cd "$MODELSQL_TOOLS"
GOBIN="$bin_dir" GO111MODULE=on GOFLAGS=-buildvcs=false \
  go install -trimpath -ldflags "-s -w" "$MINIO_MODULE@$MINIO_VERSION"
echo "$MINIO_VERSION" > "$stamp"
echo "20-objstore.sh: MinIO ready ($(( $(date +%s) - start ))s)"
