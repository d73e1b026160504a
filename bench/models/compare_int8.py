#!/usr/bin/env python3
"""Int8 accuracy of Tandem next to ONNX Runtime for one quantized zoo model.

Reads, from the models folder, MODEL.int8.onnx (for the output's quantization
scale), MODEL.int8.ort.npy and MODEL.fp32.ort.npy (quantize_zoo.py),
MODEL.int8.tandem_P.npy (Tandem's int8 output on processor P) and
MODEL.fp32.tandem_cpu.npy (Tandem's fp32 output), and prints: Tandem int8 vs
ONNX Runtime int8 (max |diff| in units of the output scale, argmax), and the
cosine similarity int8 vs fp32 of each engine. Needs onnx (Debian's is fine).
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def output_scale(path):
    m = onnx.load(path)
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    out = m.graph.output[0].name
    for n in m.graph.node:
        if n.op_type == "DequantizeLinear" and n.output[0] == out:
            return float(inits[n.input[1]])
    return None


def cosine(a, b):
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-300))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", help="model name, e.g. resnet18")
    ap.add_argument("--dir", default="build/models")
    ap.add_argument("--processors", default="cpu,reference")
    args = ap.parse_args()
    base = os.path.join(args.dir, args.model)
    scale = output_scale(base + ".int8.onnx")
    ort8, ort32 = np.load(base + ".int8.ort.npy"), np.load(base + ".fp32.ort.npy")
    tan32 = np.load(base + ".fp32.tandem_cpu.npy")
    print(f"{args.model}: output scale {scale:.4g}; ORT int8 vs fp32 cosine {cosine(ort8, ort32):.5f}"
          f"; Tandem fp32 vs ORT fp32 rel err "
          f"{np.abs(tan32 - ort32).max() / np.abs(ort32).max():.2e}")
    worst = 0.0
    for p in args.processors.split(","):
        t8 = np.load(f"{base}.int8.tandem_{p}.npy")
        units = float(np.abs(t8 - ort8).max() / scale)
        worst = max(worst, units)
        print(f"  Tandem int8 ({p}) vs ORT int8: max |diff| {units:.2f} output units, "
              f"{int(np.count_nonzero(np.abs(t8 - ort8) > scale / 2))} of {t8.size} differ, "
              f"argmax {int(t8.argmax())} / {int(ort8.argmax())}; Tandem int8 vs Tandem fp32 "
              f"cosine {cosine(t8, tan32):.5f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
