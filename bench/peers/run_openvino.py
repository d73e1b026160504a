#!/usr/bin/env python3
"""OpenVINO (CPU plugin) on an .onnx file, fp32 (INFERENCE_PRECISION_HINT=f32),
INFERENCE_NUM_THREADS=N. --hint latency (default): PERFORMANCE_HINT=LATENCY, one
infer request, frames one after another. --hint throughput: PERFORMANCE_HINT=
THROUGHPUT with NUM_STREAMS=N (one thread per stream), the plugin's optimal
number of parallel infer requests kept busy; fps is total frames / wall time
(runs frames per request), ms_median is the median request latency.
One JSON line (common.py)."""
import time

from common import Stopwatch, emit, emit_import_only, make_input, parse_args, rel_err, time_frames

import numpy as np
import openvino as ov


def compile_model(path, threads, hint):
    config = {"PERFORMANCE_HINT": hint.upper(), "INFERENCE_NUM_THREADS": str(threads),
              "INFERENCE_PRECISION_HINT": "f32"}
    if hint == "throughput":
        config["NUM_STREAMS"] = str(threads)
    return ov.Core().compile_model(path, "CPU", config)


def primitive_isas(compiled):
    """How many executed primitives name avx512 / avx2 in their type (e.g.
    brgconv_avx512_1x1_f32): shows whether ONEDNN_MAX_CPU_ISA took effect."""
    counts = {"avx512_prims": 0, "avx2_prims": 0}
    for op in compiled.get_runtime_model().get_ops():
        info = op.get_rt_info()
        if "primitiveType" not in info:
            continue
        kind = info["primitiveType"].astype(str)
        if "avx512" in kind:
            counts["avx512_prims"] += 1
        elif "avx2" in kind:
            counts["avx2_prims"] += 1
    return counts


def run_latency(compiled, x, args, setup_ms):
    req = compiled.create_infer_request()
    req.set_input_tensor(ov.Tensor(x))
    req.infer()
    y = req.get_output_tensor().data.copy()
    ms, cpu_ms = time_frames(req.infer, args.warmup, args.runs)
    emit("openvino", ov.__version__, args, ms, cpu_ms, setup_ms, rel_err(y, args.expect),
         hint="latency", streams=int(compiled.get_property("NUM_STREAMS")),
         **primitive_isas(compiled))


def run_throughput(compiled, x, args, setup_ms):
    """nreq requests kept busy, waited for round-robin (no Python callbacks: an
    AsyncInferQueue with one can hang the interpreter at exit)."""
    nreq = int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
    reqs = [compiled.create_infer_request() for _ in range(nreq)]
    for req in reqs:
        req.set_input_tensor(ov.Tensor(x))

    def frames(count):
        """Runs count frames over the requests; the latency of each, in ms."""
        started, latencies = [0.0] * nreq, []
        for i in range(count + nreq):
            k = i % nreq
            if i >= nreq:
                reqs[k].wait()
                latencies.append((time.perf_counter() - started[k]) * 1e3)
            if i < count:
                started[k] = time.perf_counter()
                reqs[k].start_async()
        return latencies

    frames(nreq * max(args.warmup, 1))
    y = reqs[0].get_output_tensor().data.copy()
    total = nreq * args.runs
    c0, t0 = time.process_time(), time.perf_counter()
    latencies = frames(total)
    wall_ms = (time.perf_counter() - t0) * 1e3
    cpu_ms = (time.process_time() - c0) * 1e3 / total
    emit("openvino", ov.__version__, args, latencies, [cpu_ms], setup_ms,
         rel_err(y, args.expect), fps=total * 1e3 / wall_ms, hint="throughput",
         streams=int(compiled.get_property("NUM_STREAMS")), infer_requests=nreq, frames=total,
         **primitive_isas(compiled))


def main():
    args = parse_args(__doc__.splitlines()[0], lambda ap: ap.add_argument(
        "--hint", default="latency", choices=["latency", "throughput"]))
    if args.import_only:
        return emit_import_only("openvino", ov.__version__)
    sw = Stopwatch()
    compiled = compile_model(args.model, args.threads, args.hint)
    x = np.ascontiguousarray(make_input(args))
    setup_ms = sw.ms()
    if args.hint == "latency":
        run_latency(compiled, x, args, setup_ms)
    else:
        run_throughput(compiled, x, args, setup_ms)


if __name__ == "__main__":
    main()
