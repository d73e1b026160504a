#!/usr/bin/python3
"""A second reference: ONNX Runtime's output for each exported model.

For NAME in the models folder, runs NAME.onnx on NAME.input.npy with ONNX Runtime
(CPU, 1 thread, all graph optimisations off so it computes the graph as written),
writes NAME.ort.output.npy and prints ONNX Runtime's own relative error against
PyTorch's NAME.output.npy (max|diff| / max|ref|). zoo_accuracy.sh then checks
Tandem against both references. Run it with a Python that has onnxruntime, e.g.
the peers venv (bench/peers.sh makes build/peers-venv):

  build/peers-venv/bin/python bench/models/ort_reference.py build/models resnet50 vit_b_16
Exit code: 0, 1 when a model is missing, 3 when onnxruntime cannot be imported.
"""
import argparse
import os
import sys

import numpy as np


def run_ort(ort, onnx_path, x):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return sess.run(None, {name: x})[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models_dir")
    p.add_argument("models", nargs="+")
    args = p.parse_args()
    try:
        import onnxruntime as ort
    except ImportError:
        print("ort_reference: onnxruntime is not importable by " + sys.executable, file=sys.stderr)
        return 3
    rc = 0
    for m in args.models:
        base = os.path.join(args.models_dir, m)
        if not (os.path.exists(base + ".onnx") and os.path.exists(base + ".input.npy")):
            print(f"{m}: no {base}.onnx / .input.npy", file=sys.stderr)
            rc = 1
            continue
        y = run_ort(ort, base + ".onnx", np.load(base + ".input.npy"))
        np.save(base + ".ort.output.npy", y)
        line = f"{m}: wrote {base}.ort.output.npy (ONNX Runtime {ort.__version__})"
        if os.path.exists(base + ".output.npy"):
            ref = np.load(base + ".output.npy").astype(np.float64).ravel()
            diff = np.abs(y.astype(np.float64).ravel() - ref).max()
            line += f", vs PyTorch {diff / np.abs(ref).max():.2e} relative"
        print(line)
    return rc


if __name__ == "__main__":
    sys.exit(main())
