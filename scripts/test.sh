#!/usr/bin/env bash
# Sets up (idempotent), builds Tandem and runs the whole test suite (ctest
# prints the summary line).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
