#!/bin/bash
# quantize_static's tiny CNN end to end (issue 18, ctest int8_quantize_static):
# quantize with ONNX Runtime (QDQ, per-channel), convert, run on the reference
# and on cpu at 1 and 2 threads; cpu must equal the reference bit for bit and
# both must be within --units output units of ONNX Runtime's int8 output.
# The quantizer needs onnxruntime, ml_dtypes and onnx >= 1.16 from PyPI: a
# --system-site-packages venv at BUILD/venv-q, made on first use; exit 77
# (skipped) when it cannot be made (no network).
set -euo pipefail
BUILD=build
UNITS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD="$2"; shift 2 ;;
    --units) UNITS="$2"; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--units N]" >&2; exit 2 ;;
  esac
done
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="$BUILD/venv-q"
PY="$VENV/bin/python"
if ! "$PY" -c "import onnxruntime.quantization" 2>/dev/null; then
  /usr/bin/python3 -m venv --system-site-packages "$VENV" >/dev/null 2>&1 || exit 77
  "$VENV/bin/pip" install -q onnxruntime ml_dtypes "onnx>=1.16" >/dev/null 2>&1 || exit 77
  "$PY" -c "import onnxruntime.quantization" 2>/dev/null || exit 77
fi
OUT="$BUILD/test_data/int8"
mkdir -p "$OUT"
M="$OUT/tiny_cnn"
# int8 activations (QInt8), and uint8 ones (QUInt8, PyTorch's quint8) shifted onto int8.
for act in int8 uint8; do
  tag=$([ "$act" = int8 ] && echo int8 || echo u8int8)
  "$PY" "$HERE/quantize_zoo.py" --tiny "$OUT" --activations "$act" 2>&1 |
    grep -v "WARNING\|Removing initializer" || true
  "$BUILD/tandem" convert "$M.$tag.onnx" -o "$M.$tag.tdm" | grep -E "^ops:"
  for p in reference cpu:threads=1 cpu:threads=2; do
    "$BUILD/tandem" run "$M.$tag.tdm" --input "$M.input.npy" --output "$M.$tag.${p//[:=]/_}.npy" \
      --processor "$p" | tail -1
  done
  cmp "$M.$tag.reference.npy" "$M.$tag.cpu_threads_1.npy"
  cmp "$M.$tag.reference.npy" "$M.$tag.cpu_threads_2.npy"
  /usr/bin/python3 - "$M" "$UNITS" "$tag" <<'PY'
import sys
import numpy as np
import onnx
from onnx import numpy_helper
m, units, tag = sys.argv[1], float(sys.argv[2]), sys.argv[3]
model = onnx.load(m + f".{tag}.onnx")
inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
out = model.graph.output[0].name
scale = [float(inits[n.input[1]]) for n in model.graph.node
         if n.op_type == "DequantizeLinear" and n.output[0] == out][0]
ours, ort = np.load(m + f".{tag}.reference.npy"), np.load(m + f".{tag}.ort.npy")
diff = float(np.abs(ours - ort).max() / scale)
print(f"{tag}: tandem vs onnxruntime: max |diff| {diff:.2f} output units (limit {units})")
sys.exit(0 if diff <= units + 1e-3 and ours.argmax() == ort.argmax() else 1)
PY
done
echo "int8 check passed: cpu == reference, within $UNITS unit(s) of ONNX Runtime"
