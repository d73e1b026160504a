#!/usr/bin/env bash
# A/B of the cpu processor: runs the cpu test binaries of BUILD (default: build)
# once against the library in BASE_LIB_DIR and once against BUILD's own
# libtandem.so, each writing one line per compiled range (kernel kinds, fallback
# nodes, a hash of every output: tests/cpu_compare.h, $TANDEM_TEST_DUMP), and
# fails when any line differs. Outputs must be bit-identical, kernels the same.
#
#   cp -a build/libtandem.so* /tmp/base/     # before the change
#   ... change, rebuild ...
#   scripts/ab_cpu_ranges.sh /tmp/base [build]
#
# The test binaries are built once (from BUILD), so the two libraries must agree
# on the headers the tests include (cpu_executable.h, processor.h, graph.h).
set -euo pipefail
base=${1:?usage: ab_cpu_ranges.sh BASE_LIB_DIR [BUILD_DIR]}
build=${2:-build}
out=$(mktemp -d)
tests=(test_cpu_processor test_cpu_dwconv test_cpu_gated_activation test_cpu_gemm
       test_cpu_inverted_residual test_cpu_neon_wiring test_cpu_shuffle_ops)
for t in "${tests[@]}"; do
  TANDEM_TEST_DUMP="$out/base" LD_LIBRARY_PATH="$base" "$build/tests/$t" > "$out/$t.base.log" 2>&1 ||
    echo "note: $t failed against the base library (see $out/$t.base.log)"
  TANDEM_TEST_DUMP="$out/new" "$build/tests/$t" > "$out/$t.new.log" 2>&1 ||
    { echo "FAIL: $t fails on the new library (see $out/$t.new.log)"; exit 1; }
done
echo "$(wc -l < "$out/new") compiled ranges"
if cmp -s "$out/base" "$out/new"; then
  echo "identical: kernel kinds, fallbacks and output bytes"
else
  diff "$out/base" "$out/new" | head -20
  echo "FAIL: the two libraries differ (lines above; files in $out)"
  exit 1
fi
