#!/usr/bin/env bash
# Configures and builds Tandem into build/ (Release). Extra args go to cmake configure.
set -euo pipefail
cd "$(dirname "$0")/.."
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build "${gen[@]}" "$@"
else
  cmake -S . -B build "$@" >/dev/null
fi
cmake --build build -j"$(nproc)"
