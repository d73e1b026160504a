#!/usr/bin/env bash
# Cross-compiles the NEON kernels and tests/neon/test_neon_kernels.cc for aarch64 (static)
# and runs the test under qemu-aarch64-static. Usage: scripts/test_neon_qemu.sh [BUILD_DIR]
# Fails (exit 1) when the cross compiler or qemu is missing: scripts/setup.sh installs both.
# TANDEM_NEON_SANITIZE=1 builds with AddressSanitizer + UBSan (dynamic, run with a sysroot).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sanitize="${TANDEM_NEON_SANITIZE:-0}"
suffix=""
[ "$sanitize" = 1 ] && suffix="-asan"
build="${1:-$root/build-neon-aarch64$suffix}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"  # LeakSanitizer cannot run under qemu

gen=()
command -v ninja >/dev/null && gen=(-G Ninja)

if [ "$(uname -m)" = aarch64 ]; then
  # On an aarch64 host the kernels run natively: no cross compiler, no emulator.
  cmake -S "$root/tests/neon" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DTANDEM_NEON_SANITIZE="$sanitize" >/dev/null
  cmake --build "$build" --target test_neon_kernels -j2
  exec "$build/test_neon_kernels" "${@:2}"
fi

missing=()
command -v aarch64-linux-gnu-g++ >/dev/null || missing+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
if [ ${#missing[@]} -ne 0 ]; then
  echo "test_neon_qemu: FAIL: missing ${missing[*]} (run scripts/setup.sh)" >&2
  exit 1
fi

# The cpu processor's wiring of the NEON kernels (kernels/cpu/ops/conv2d_neon.cc and
# qconv_neon.cc, and conv2d.cc and qconv.cc that select them) must compile for aarch64 too; there is no arm64
# XNNPACK to link here, so this is a compile check against the host's headers.
xinc="$(mktemp -d)"
trap 'rm -rf "$xinc"' EXIT
for h in xnnpack.h pthreadpool.h; do
  [ -f "/usr/include/$h" ] && ln -s "/usr/include/$h" "$xinc/$h"
done
if [ -f "$xinc/xnnpack.h" ] && [ -f "$xinc/pthreadpool.h" ]; then
  for src in kernels/cpu/ops/conv2d_neon.cc kernels/cpu/ops/conv2d.cc kernels/cpu/ops/qconv_neon.cc \
    kernels/cpu/ops/qconv.cc; do
    aarch64-linux-gnu-g++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only -I"$root" -I"$xinc" \
      "$root/$src" || { echo "test_neon_qemu: FAIL: $src does not compile for aarch64" >&2; exit 1; }
  done
  echo "test_neon_qemu: cpu processor NEON wiring compiles for aarch64"
fi

cmake -S "$root/tests/neon" -B "$build" "${gen[@]}" \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DTANDEM_NEON_SANITIZE="$sanitize" >/dev/null
cmake --build "$build" --target test_neon_kernels -j2
# ELF e_machine (2 bytes at offset 18) is 183 for aarch64.
[ "$(od -An -t u2 -j 18 -N 2 "$build/test_neon_kernels" | tr -d ' ')" = 183 ] || {
  echo "test_neon_qemu: FAIL: $build/test_neon_kernels is not an aarch64 binary" >&2
  exit 1
}
if [ "$sanitize" = 1 ]; then
  qemu-aarch64-static -L /usr/aarch64-linux-gnu "$build/test_neon_kernels" "${@:2}"
else
  qemu-aarch64-static "$build/test_neon_kernels" "${@:2}"
fi
