#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for at
# most SECONDS (default 120) on its seed corpus. Fails on any crash, leak,
# timeout or sanitizer report.  Usage: scripts/fuzz.sh [SECONDS]
# A fixed seed and run count (FUZZ_SEED, FUZZ_RUNS_<target>) make a run from a
# fresh corpus repeatable, so CI replays what was checked offline; set
# FUZZ_RUNS_fuzz_tdm_reader=-1 (and the other) to fuzz without a bound.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-120}
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
CC=clang CXX=clang++ cmake -S . -B build-fuzz "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -DNDEBUG" \
  -DTANDEM_FUZZ=ON -DTANDEM_SANITIZE=address,undefined -DTANDEM_BUILD_TESTS=OFF \
  -DTANDEM_BUILD_BENCH=OFF -DTANDEM_WITH_OPENCL=OFF -DTANDEM_WITH_XNNPACK=OFF -DTANDEM_PYTHON=OFF >/dev/null
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
  # Full log kept; on failure its end (the sanitizer report) is printed.
  runs_var=FUZZ_RUNS_$t
  case $t in fuzz_tdm_reader) default_runs=6000000 ;; *) default_runs=3000000 ;; esac
  runs=${!runs_var:-$default_runs}
  if ! ./build-fuzz/fuzz/$t "$corpus" -max_total_time="$secs" -runs="$runs" -seed="${FUZZ_SEED:-1}" \
    -timeout=10 -rss_limit_mb=2048 \
    -max_len=1048576 -print_final_stats=1 -artifact_prefix=build-fuzz/ >build-fuzz/$t.log 2>&1; then
    grep -A60 -m1 "ERROR\|runtime error\|ABORTING\|deadly signal" build-fuzz/$t.log || tail -n 80 build-fuzz/$t.log
    echo "fuzz: $t FAILED (reproducer under build-fuzz/crash-* / leak-* / timeout-*)"
    exit 1
  fi
  grep -E "^Done|number_of_executed_units|new_units_added" build-fuzz/$t.log
done
