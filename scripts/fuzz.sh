#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# SECONDS (default 120) on its seed corpus. Fails on any crash, leak, timeout
# or sanitizer report.  Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-120}
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
CC=clang CXX=clang++ cmake -S . -B build-fuzz "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTANDEM_FUZZ=ON -DTANDEM_SANITIZE=address,undefined -DTANDEM_BUILD_TESTS=OFF \
  -DTANDEM_BUILD_BENCH=OFF -DTANDEM_WITH_OPENCL=OFF -DTANDEM_WITH_XNNPACK=OFF >/dev/null
targets=()
for t in fuzz_tdm_reader fuzz_onnx_converter; do
  [ -f "fuzz/$t.cc" ] && targets+=("$t")
done
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for t in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$t
  mkdir -p "$corpus"
  cp -n fuzz/seeds/$t/* "$corpus"/ 2>/dev/null || true
  [ -d build-fuzz/seeds/$t ] && cp -n build-fuzz/seeds/$t/* "$corpus"/ 2>/dev/null || true
  echo "fuzz: $t for ${secs}s"
  ./build-fuzz/fuzz/$t "$corpus" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -max_len=1048576 -print_final_stats=1 2>&1 | tail -n 20
done
