#!/usr/bin/env python3
"""ncnn (CPU) on the .ncnn.param/.bin pnnx wrote from the ONNX file (blobs in0 and
out0): opt.num_threads=N, fp32 throughout (fp16/bf16 storage, packing and
arithmetic off), a new extractor per frame. MODEL is the .ncnn.param file.
One JSON line (common.py)."""
from common import Stopwatch, emit, emit_import_only, make_input, parse_args, rel_err, time_frames

import ncnn
import numpy as np


def fp32_net(threads):
    net = ncnn.Net()
    net.opt.num_threads = threads
    net.opt.use_vulkan_compute = False
    for name in ("use_fp16_packed", "use_fp16_storage", "use_fp16_arithmetic",
                 "use_bf16_storage", "use_bf16_packed"):
        if hasattr(net.opt, name):
            setattr(net.opt, name, False)
    return net


def main():
    args = parse_args(__doc__.splitlines()[0])
    if args.import_only:
        return emit_import_only("ncnn", ncnn.__version__)
    sw = Stopwatch()
    net = fp32_net(args.threads)
    param = args.model
    if net.load_param(param) != 0 or net.load_model(param[: -len(".param")] + ".bin") != 0:
        raise SystemExit(f"run_ncnn: cannot load {param} and its .bin")
    x = make_input(args)
    mat = ncnn.Mat(np.ascontiguousarray(x.reshape(x.shape[1:])))  # batch 1: C x H x W
    setup_ms = sw.ms()

    def run_once():
        ex = net.create_extractor()
        ex.input("in0", mat)
        ret, out = ex.extract("out0")
        if ret != 0:
            raise SystemExit(f"run_ncnn: extract out0 failed ({ret})")
        return out

    y = np.array(run_once()).reshape(-1)
    ms, cpu_ms = time_frames(run_once, args.warmup, args.runs)
    emit("ncnn", ncnn.__version__, args, ms, cpu_ms, setup_ms, rel_err(y, args.expect))


if __name__ == "__main__":
    main()
