#!/usr/bin/env bash
# The lean product build CI checks (issue 17): libtandem static, cpu only (no
# OpenCL, no ONNX converter), no tools, tests or benchmarks, installed into a prefix;
# then examples/classify.c (load a .tdm, run one frame) built against that
# installed package and run on a model the main build made. Prints the
# program's size (stripped) and the shared libraries it still needs.
#   scripts/build_variants.sh [MAIN_BUILD_DIR]   (default build/, after its ctest
#                                                 or with its tests/make_test_model)
set -euo pipefail
cd "$(dirname "$0")/.."
main=${1:-build}
out=build-variant-static-cpu
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
launch=()
command -v ccache >/dev/null &&
  launch=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
jobs=${TANDEM_JOBS:-$(nproc)}

cmake -S . -B "$out" "${gen[@]}" "${launch[@]}" -DCMAKE_BUILD_TYPE=Release -DTANDEM_SHARED=OFF \
  -DTANDEM_WITH_OPENCL=OFF -DTANDEM_WITH_ONNX=OFF -DTANDEM_BUILD_TESTS=OFF \
  -DTANDEM_BUILD_BENCH=OFF -DTANDEM_BUILD_TOOLS=OFF -DTANDEM_PYTHON=OFF >/dev/null
cmake --build "$out" -j"$jobs"
rm -rf "$out/prefix"
cmake --install "$out" --prefix "$PWD/$out/prefix" >/dev/null
cmake -S examples -B "$out/examples" "${gen[@]}" "${launch[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$PWD/$out/prefix" >/dev/null
cmake --build "$out/examples" --target classify_c

model=$main/test_data/tiny.tdm
[ -f "$model" ] || "$main/tests/make_test_model" "$main/test_data"
prog=$out/examples/classify_c
"$prog" "$model" cpu | tee "$out/classify.txt"
grep -q "probs: argmax" "$out/classify.txt"
"$prog" "$model" opencl >"$out/opencl.txt" 2>&1 && {
  echo "build_variants: a cpu-only build accepted an opencl processor" >&2
  exit 1
}
grep -q "unknown processor 'opencl'" "$out/opencl.txt" || {
  echo "build_variants: opencl request in a cpu-only build: $(cat "$out/opencl.txt")" >&2
  exit 1
}

strip -o "$out/classify_c.stripped" "$prog"
echo "== minimal static cpu-only program ($(uname -m)): examples/classify.c"
ls -l "$out/classify_c.stripped" | awk '{print "stripped file: " $5 " bytes"}'
size "$out/classify_c.stripped"
echo "== shared libraries it still needs (ldd)"
ldd "$out/classify_c.stripped" | tee "$out/ldd.txt"
if grep -E "libtandem|libOpenCL|libclblast|libprotobuf|libonnx" "$out/ldd.txt"; then
  echo "build_variants: the static cpu-only program needs a library it should not" >&2
  exit 1
fi
echo "build_variants: ok"
