#!/usr/bin/env python3
"""Times ONNX Runtime (CPU) on one model: one JSON line with fps, latency_ms, cpu_ms.

Usage: ort_bench.py MODEL.onnx --threads N [--runs R] [--warmup W]
Random normal inputs of the model's input shapes (dynamic dims become 1).
"""
import argparse
import json
import statistics
import time

import numpy as np
import onnxruntime as ort


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    a = ap.parse_args()
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    feeds = {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) and d > 0 else 1 for d in i.shape]
        feeds[i.name] = rng.standard_normal(shape).astype(np.float32)
    for _ in range(a.warmup):
        sess.run(None, feeds)
    ms, cpu_ms = [], []
    for _ in range(a.runs):
        c0 = time.process_time()
        t0 = time.perf_counter()
        sess.run(None, feeds)
        ms.append((time.perf_counter() - t0) * 1e3)
        cpu_ms.append((time.process_time() - c0) * 1e3)
    med = statistics.median(ms)
    print(json.dumps({"runtime": "onnxruntime " + ort.__version__, "threads": a.threads,
                      "latency_ms": med, "fps": 1e3 / med, "latencies_ms": ms,
                      "cpu_ms": statistics.median(cpu_ms)}))


if __name__ == "__main__":
    main()
