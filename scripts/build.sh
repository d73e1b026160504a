#!/usr/bin/env bash
# Configures and builds Tandem into build/ (Release). Extra args go to cmake configure.
set -euo pipefail
cd "$(dirname "$0")/.."
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
# The Python module and its tests use the Debian interpreter whose packages
# scripts/setup.sh installs (NumPy, the development headers), not whichever
# python3 comes first on PATH (a pyenv one lacks them, and the test would skip).
py=()
[ -x /usr/bin/python3 ] && py=(-DPython3_EXECUTABLE=/usr/bin/python3)
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build "${gen[@]}" "${py[@]}" "$@"
else
  cmake -S . -B build "$@" >/dev/null
fi
cmake --build build -j"$(nproc)"
