"""What every peer runner shares: its arguments, the input, the timing loop, the JSON line.

A runner is one process timing one runtime on one model at one thread count:
W untimed warm-up frames, then M timed frames, one after another on the same
input. It prints one JSON line last on stdout (the driver reads only that line):
runtime, version, threads, fps (1000 / median ms), ms_median, ms_min, ms_max,
cpu_ms (median process CPU time per frame, all threads), setup_ms (load and
compile), and max_rel_err (max |y - ref| / max |ref|) when --expect is given.
"""
import argparse
import json
import statistics
import time

import numpy as np


def parse_args(description, add=None):
    """The shared arguments; add(ap) adds a runner's own."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("model", help="model file in this runtime's format (or .onnx)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--shape", default="1,3,224,224", help="input shape, comma-separated")
    ap.add_argument("--input", help=".npy input (default: seeded random normal of --shape)")
    ap.add_argument("--expect", help=".npy reference output: report max_rel_err against it")
    ap.add_argument("--import-only", action="store_true",
                    help="import the runtime and exit (the driver measures its baseline RSS)")
    if add:
        add(ap)
    return ap.parse_args()


def make_input(args):
    if args.input:
        return np.ascontiguousarray(np.load(args.input).astype(np.float32))
    shape = [int(d) for d in args.shape.split(",")]
    return np.random.default_rng(1).standard_normal(shape).astype(np.float32)


def rel_err(y, expect_path):
    if not expect_path:
        return None
    ref = np.load(expect_path).astype(np.float32).reshape(-1)
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if y.size != ref.size:
        return float("inf")
    return float(np.abs(y - ref).max() / max(float(np.abs(ref).max()), 1e-30))


def time_frames(run_once, warmup, runs):
    """Calls run_once() warmup + runs times; wall and CPU ms of each timed call."""
    for _ in range(warmup):
        run_once()
    ms, cpu_ms = [], []
    for _ in range(runs):
        c0 = time.process_time()
        t0 = time.perf_counter()
        run_once()
        ms.append((time.perf_counter() - t0) * 1e3)
        cpu_ms.append((time.process_time() - c0) * 1e3)
    return ms, cpu_ms


def emit(runtime, version, args, ms, cpu_ms, setup_ms, err, fps=None, **extra):
    """The JSON line; fps defaults to 1000 / median ms (one frame at a time)."""
    med = statistics.median(ms)
    line = {"runtime": runtime, "version": version, "threads": args.threads,
            "warmup": args.warmup, "runs": len(ms), "fps": fps or 1e3 / med, "ms_median": med,
            "ms_min": min(ms), "ms_max": max(ms), "cpu_ms": statistics.median(cpu_ms),
            "setup_ms": setup_ms, "max_rel_err": err}
    line.update(extra)
    print(json.dumps(line), flush=True)


def emit_import_only(runtime, version):
    print(json.dumps({"runtime": runtime, "version": version, "import_only": True}), flush=True)


class Stopwatch:
    def __init__(self):
        self.t0 = time.perf_counter()

    def ms(self):
        return (time.perf_counter() - self.t0) * 1e3
