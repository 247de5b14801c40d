#!/usr/bin/env bash
# Training (CREATE MODEL ... AS SELECT), ML_EXPLAIN_PREDICT and
# ML_FEATURE_IMPORTANCE load XGBoost's C library at run time: Debian's
# libxgboost0 (1.7.4). The golden and Python-package tests also use
# python3-xgboost and python3-sklearn (the same libxgboost). Installs
# whichever is missing; a no-op when all are there.
set -euo pipefail

need=()
if ! ls /usr/lib/*/libxgboost.so.0 >/dev/null 2>&1; then
  need+=(libxgboost0)
fi
if [ "${1:-}" != "--lib-only" ] && ! /usr/bin/python3 -c 'import xgboost, sklearn' >/dev/null 2>&1; then
  need+=(python3-xgboost python3-sklearn)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "40-xgboost.sh: installing ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
