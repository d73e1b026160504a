#!/usr/bin/env bash
# Device check for a lent NVIDIA machine (run from the repository root; under ~8 minutes):
# build the OpenCL parts, list devices, run the opencl op-consistency tests and the kernel and
# small-model benchmarks on the NVIDIA OpenCL device (if the driver exposes one). Writes logs
# to $OUT (or /tmp/gpu_check). Needs the Debian build deps already installed; no network.
set -uo pipefail
OUT=${OUT:-/tmp/gpu_check}
BUILD=${BUILD:-build-gpu}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$OUT"
log() { echo "== $*" | tee -a "$OUT/summary.txt"; }
start=$(date +%s)

log "machine"
(nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv) \
  >"$OUT/nvidia-smi.txt" 2>&1 || true
cat "$OUT/nvidia-smi.txt" | tee -a "$OUT/summary.txt"
ls /etc/OpenCL/vendors/ 2>&1 | tee -a "$OUT/summary.txt"
command -v clinfo >/dev/null && clinfo -l 2>&1 | tee -a "$OUT/summary.txt"

log "configure + build (tandem_cli, test_opencl_processor, bench_opencl_kernels)"
XNN=OFF; [ -f /usr/include/xnnpack.h ] && XNN=ON
GEN=(); command -v ninja >/dev/null && GEN=(-G Ninja)
timeout 120 cmake -S . -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DTANDEM_WITH_XNNPACK=$XNN -DTANDEM_WITH_ONNX=OFF -DTANDEM_WITH_OPENCL=ON \
  -DTANDEM_BUILD_TESTS=ON -DTANDEM_BUILD_BENCH=ON >"$OUT/configure.txt" 2>&1 \
  || { tail -30 "$OUT/configure.txt" | tee -a "$OUT/summary.txt"; log "configure failed"; exit 1; }
timeout 300 cmake --build "$BUILD" --target tandem_cli test_opencl_processor bench_opencl_kernels \
  -j"$JOBS" >"$OUT/build.txt" 2>&1 \
  || { grep -E "error|Error" "$OUT/build.txt" | head -30 | tee -a "$OUT/summary.txt"; log "build failed"; exit 1; }
log "built in $(( $(date +%s) - start )) s"

log "tandem devices"
timeout 60 "$BUILD/tandem" devices 2>&1 | tee "$OUT/devices.txt" | tee -a "$OUT/summary.txt"
# The first device whose name looks like NVIDIA's; else device 0 (PoCL on a bare machine).
DEV=$(grep -E '^  opencl:[0-9]+ ' "$OUT/devices.txt" | grep -iE 'nvidia|geforce|tesla|quadro|h100|h200|a100|rtx' \
      | head -1 | sed -E 's/^  opencl:([0-9]+).*/\1/')
if [ -z "$DEV" ]; then
  log "no NVIDIA OpenCL device found; running on opencl:0"
  DEV=0
fi
log "using opencl:$DEV"
export TANDEM_CACHE_DIR="$PWD/$BUILD/ocl_cache"

log "op-consistency tests on opencl:$DEV (first start: builds programs)"
( cd "$BUILD" && TANDEM_TEST_OPENCL_DEVICE=$DEV timeout 180 ./tests/test_opencl_processor ) \
  >"$OUT/test_first.txt" 2>&1; echo "exit $?" >>"$OUT/test_first.txt"
grep -E "MESSAGE|FAILED|ERROR|test cases|assertions|exit" "$OUT/test_first.txt" | tee -a "$OUT/summary.txt"
log "tests again (cached start)"
( cd "$BUILD" && TANDEM_TEST_OPENCL_DEVICE=$DEV timeout 120 ./tests/test_opencl_processor ) \
  >"$OUT/test_cached.txt" 2>&1; echo "exit $?" >>"$OUT/test_cached.txt"
grep -E "MESSAGE|test cases|exit" "$OUT/test_cached.txt" | tee -a "$OUT/summary.txt"

log "kernel + small-model benchmarks on opencl:$DEV"
TANDEM_BENCH_OPENCL_DEVICE=$DEV timeout 200 "$BUILD/bench/bench_opencl_kernels" \
  --benchmark_min_time=0.05 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_out="$OUT/bench.json" --benchmark_out_format=json >"$OUT/bench.txt" 2>&1
grep -E "median|error" "$OUT/bench.txt" | tee -a "$OUT/summary.txt"

# Zoo models (.tdm + .input.npy, e.g. build/models carried along; TANDEM_ZOO_DIR overrides):
# accuracy of opencl vs reference, then tandem bench (compile time and warm FPS).
ZOO=${TANDEM_ZOO_DIR:-build/models}
PY=python3; /usr/bin/python3 -c "import numpy" 2>/dev/null && PY=/usr/bin/python3
for m in "$ZOO"/*.tdm; do
  [ -f "$m" ] || continue
  case "$m" in *.opencl_test.tdm) continue ;; esac  # ctest's copies
  name=$(basename "$m" .tdm)
  in="$ZOO/$name.input.npy"
  if [ -f "$in" ]; then
    timeout 60 "$BUILD/tandem" run "$m" --input "$in" --output "$OUT/$name.ref.npy" --processor reference >/dev/null 2>&1
    timeout 60 "$BUILD/tandem" run "$m" --input "$in" --output "$OUT/$name.ocl.npy" --processor "opencl:$DEV" \
      2>&1 | tail -1 | tee -a "$OUT/summary.txt"
    "$PY" -c "
import numpy as np
r = np.load('$OUT/$name.ref.npy'); o = np.load('$OUT/$name.ocl.npy')
print('$name: opencl:$DEV vs reference relative error %.3g, argmax %d vs %d' % (np.abs(o - r).max() / np.abs(r).max(), o.argmax(), r.argmax()))
" 2>&1 | tee -a "$OUT/summary.txt"
  fi
  log "tandem bench $name on opencl:$DEV"
  timeout 90 "$BUILD/tandem" bench "$m" --processor "opencl:$DEV" --runs 20 2>&1 | tail -4 | tee -a "$OUT/summary.txt"
  [ $(( $(date +%s) - start )) -gt 420 ] && { log "time budget reached, stopping the zoo"; break; }
done
log "total $(( $(date +%s) - start )) s"
