#!/usr/bin/env bash
# Sanitizer runs: the whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer,
# and the scheduler and pipeline tests under ThreadSanitizer.
#   Usage: scripts/sanitize.sh [asan|tsan|all]   (default all)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
jobs=$(nproc)
export TANDEM_CACHE_DIR=$PWD/build-sanitize-cache
# -O1: the instrumented code compiles 3-10x faster than at -O2 (the AVX-512 GEMM
# kernels most) and still finds what it finds at -O2; CI's time goes to compiling.
opt=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -DNDEBUG"
  "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -DNDEBUG")
if [ "$what" = asan ] || [ "$what" = all ]; then
  cmake -S . -B build-asan "${gen[@]}" "${opt[@]}" \
    -DTANDEM_SANITIZE=address,undefined -DTANDEM_BUILD_BENCH=OFF -DTANDEM_PYTHON=OFF >/dev/null
  cmake --build build-asan -j"$jobs"
  # Leaks are errors; UBSan findings abort the test. The examples link the
  # instrumented library from an uninstrumented program, which ASan refuses. The cross-compiled NEON
  # test and the zoo export have their own runs (plain build, scripts/fuzz.sh).
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE "cross|zoo" -FS zoo_models -E "^examples_"
fi
if [ "$what" = tsan ] || [ "$what" = all ]; then
  cmake -S . -B build-tsan "${gen[@]}" "${opt[@]}" \
    -DTANDEM_SANITIZE=thread -DTANDEM_BUILD_BENCH=OFF -DTANDEM_PYTHON=OFF >/dev/null
  cmake --build build-tsan -j"$jobs" --target test_pipeline test_partitioner test_profiler
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir build-tsan --output-on-failure -R "test_pipeline|test_partitioner|test_profiler"
fi
