#!/usr/bin/env bash
# Cross-compiles the NEON kernels and tests/neon/test_neon_kernels.cc for aarch64 (static)
# and runs the test under qemu-aarch64-static. Usage: scripts/test_neon_qemu.sh [BUILD_DIR]
# Fails (exit 1) when the cross compiler or qemu is missing: scripts/setup.sh installs both.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-neon-aarch64}"

missing=()
command -v aarch64-linux-gnu-g++ >/dev/null || missing+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
if [ ${#missing[@]} -ne 0 ]; then
  echo "test_neon_qemu: FAIL: missing ${missing[*]} (run scripts/setup.sh)" >&2
  exit 1
fi

gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S "$root/tests/neon" -B "$build" "${gen[@]}" \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target test_neon_kernels -j2
file "$build/test_neon_kernels" | grep -q 'ARM aarch64' || {
  echo "test_neon_qemu: FAIL: $build/test_neon_kernels is not an aarch64 binary" >&2
  exit 1
}
qemu-aarch64-static "$build/test_neon_kernels" "${@:2}"
