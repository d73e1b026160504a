#!/usr/bin/env python3
"""ONNX Runtime (CPU execution provider) on an .onnx file: intra_op_num_threads=N,
inter_op 1, sequential execution, all graph optimisations. One JSON line (common.py)."""
from common import Stopwatch, emit, emit_import_only, make_input, parse_args, rel_err, time_frames

import onnxruntime as ort


def main():
    args = parse_args(__doc__.splitlines()[0])
    if args.import_only:
        return emit_import_only("onnxruntime", ort.__version__)
    sw = Stopwatch()
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
    feeds = {sess.get_inputs()[0].name: make_input(args)}
    setup_ms = sw.ms()
    y = sess.run(None, feeds)[0]
    ms, cpu_ms = time_frames(lambda: sess.run(None, feeds), args.warmup, args.runs)
    emit("onnxruntime", ort.__version__, args, ms, cpu_ms, setup_ms, rel_err(y, args.expect))


if __name__ == "__main__":
    main()
