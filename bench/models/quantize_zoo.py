#!/usr/bin/env python3
"""Quantizes exported zoo models with ONNX Runtime's quantize_static (QDQ form).

For each MODEL.onnx (from export_zoo.py, with MODEL.input.npy beside it) it writes
MODEL.int8.onnx (QDQ; with --format qoperator MODEL.int8.qop.onnx, QLinearConv &
co.; per-channel int8 weights, int8 activations calibrated with min/max on random standard-normal images: the distribution export_zoo draws its
inputs from), MODEL.int8.ort.npy (ONNX Runtime's int8 output for the fixed
input) and MODEL.fp32.ort.npy (its fp32 output). `--tiny DIR` first exports a
small CNN (conv, relu, maxpool, residual add, concat, global average pool, FC)
as DIR/tiny_cnn.onnx with its input, for tests.

Needs onnxruntime (PyPI) with ml_dtypes and onnx >= 1.16 (its quantizer imports
them): a venv made with --system-site-packages, e.g. build/venv-q (`pip install
onnxruntime ml_dtypes onnx`). That venv's numpy 2 cannot load Debian's torch, so
the tiny CNN is exported by /usr/bin/python3 running this script with --export-tiny.
"""
import argparse
import os
import subprocess
import sys

import numpy as np


def export_tiny(out_dir, seed=0):
    import torch

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
            self.c2 = torch.nn.Conv2d(8, 8, 3, padding=1)
            self.c3 = torch.nn.Conv2d(8, 8, 1)
            self.dw = torch.nn.Conv2d(16, 16, 3, padding=1, groups=16)
            self.pool = torch.nn.MaxPool2d(2)
            self.fc = torch.nn.Linear(16, 10)

        def forward(self, x):
            x = torch.relu(self.c1(x))
            y = torch.relu(self.c2(x)) + x
            z = torch.cat([y, torch.relu(self.c3(y))], 1)
            z = self.pool(torch.clamp(self.dw(z), 0, 6))
            z = torch.nn.functional.adaptive_avg_pool2d(z, 1).flatten(1)
            return self.fc(z)

    torch.manual_seed(seed)
    model = Tiny().eval()
    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(seed + 2))
    path = os.path.join(out_dir, "tiny_cnn.onnx")
    torch.onnx.export(model, x, path, opset_version=13, input_names=["input"],
                      output_names=["output"], do_constant_folding=True)
    np.save(os.path.join(out_dir, "tiny_cnn.input.npy"), x.numpy().astype(np.float32))
    return path


class RandomImages:
    """quantize_static's calibration reader: `count` standard-normal images."""

    def __init__(self, name, shape, count, seed):
        rng = np.random.default_rng(seed)
        self.items = iter([{name: rng.standard_normal(shape).astype(np.float32)}
                           for _ in range(count)])

    def get_next(self):
        return next(self.items, None)


def run_ort(path, x):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: x})[0]


def quantize(onnx_path, calib, seed, activations="int8", fmt="qdq"):
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    base = onnx_path[:-len(".onnx")]
    model = onnx.load(onnx_path)
    inp = model.graph.input[0]
    shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    tag = ("int8" if activations == "int8" else "u8int8") + (".qop" if fmt == "qoperator" else "")
    out = base + f".{tag}.onnx"
    act = QuantType.QInt8 if activations == "int8" else QuantType.QUInt8
    quantize_static(onnx_path, out, RandomImages(inp.name, shape, calib, seed),
                    quant_format=QuantFormat.QDQ if fmt == "qdq" else QuantFormat.QOperator,
                    per_channel=True,
                    activation_type=act, weight_type=QuantType.QInt8)
    x = np.load(base + ".input.npy")
    y8 = run_ort(out, x)
    y32 = run_ort(onnx_path, x)
    np.save(base + f".{tag}.ort.npy", y8.astype(np.float32))
    np.save(base + ".fp32.ort.npy", y32.astype(np.float32))
    cos = float(np.dot(y8.ravel(), y32.ravel()) /
                (np.linalg.norm(y8) * np.linalg.norm(y32) + 1e-30))
    print(f"{os.path.basename(out)}: ORT int8 vs ORT fp32 cosine {cos:.5f}, argmax "
          f"{int(y8.argmax())} / {int(y32.argmax())}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", help="MODEL.onnx files (MODEL.input.npy beside each)")
    ap.add_argument("--tiny", metavar="DIR", help="export and quantize a tiny CNN into DIR")
    ap.add_argument("--calibration", type=int, default=16, help="random calibration images")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--activations", choices=["int8", "uint8"], default="int8",
                    help="activation type (uint8: MODEL.u8int8.onnx, as PyTorch's quint8)")
    ap.add_argument("--format", choices=["qdq", "qoperator"], default="qdq",
                    help="qoperator: QLinearConv & co. (MODEL.int8.qop.onnx) instead of QDQ")
    ap.add_argument("--export-tiny", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.export_tiny:  # Debian's python: torch
        export_tiny(args.export_tiny, args.seed)
        return 0
    try:
        import onnxruntime  # noqa: F401
    except ImportError as e:
        print(f"onnxruntime is not importable ({e}); use a venv with it", file=sys.stderr)
        return 77
    paths = list(args.models)
    if args.tiny:
        os.makedirs(args.tiny, exist_ok=True)
        subprocess.run(["/usr/bin/python3", os.path.abspath(__file__), "--export-tiny", args.tiny,
                        "--seed", str(args.seed)], check=True)
        paths.append(os.path.join(args.tiny, "tiny_cnn.onnx"))
    for p in paths:
        quantize(p, args.calibration, args.seed, args.activations, args.format)
    return 0


if __name__ == "__main__":
    sys.exit(main())
