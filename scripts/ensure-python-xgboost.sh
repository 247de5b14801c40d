#!/usr/bin/env bash
# Installs Debian's python3-xgboost (1.7.4, the reference) when missing.
# Only benchmarks and fixture generation need it; make test does not.
set -euo pipefail
if /usr/bin/python3 -c 'import xgboost, numpy, sklearn' 2>/dev/null; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-xgboost python3-sklearn python3-numpy
