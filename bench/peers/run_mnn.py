#!/usr/bin/env python3
"""MNN (CPU backend, session API) on an .mnn file converted from the ONNX file by
mnnconvert: numThread=N, precision normal (fp32 on x86; 'high' with --precision).
One JSON line (common.py)."""
from common import Stopwatch, emit, emit_import_only, make_input, parse_args, rel_err, time_frames

import MNN
import numpy as np


def main():
    args = parse_args(__doc__.splitlines()[0], lambda ap: ap.add_argument(
        "--precision", default="normal", choices=["normal", "high"]))
    precision = args.precision
    version = MNN.version()
    if args.import_only:
        return emit_import_only("mnn", version)
    sw = Stopwatch()
    interp = MNN.Interpreter(args.model)
    session = interp.createSession({"backend": "CPU", "numThread": args.threads,
                                    "precision": precision})
    x = make_input(args)
    inp = interp.getSessionInput(session)
    interp.resizeTensor(inp, x.shape)
    interp.resizeSession(session)
    inp.copyFrom(MNN.Tensor(x.shape, MNN.Halide_Type_Float, x, MNN.Tensor_DimensionType_Caffe))
    setup_ms = sw.ms()
    out = interp.getSessionOutput(session)

    def run_once():
        interp.runSession(session)

    run_once()
    host = MNN.Tensor(out.getShape(), MNN.Halide_Type_Float,
                      np.zeros(out.getShape(), np.float32), MNN.Tensor_DimensionType_Caffe)
    out.copyToHostTensor(host)
    y = np.array(host.getData(), dtype=np.float32)
    ms, cpu_ms = time_frames(run_once, args.warmup, args.runs)
    emit("mnn", version, args, ms, cpu_ms, setup_ms, rel_err(y, args.expect), precision=precision)


if __name__ == "__main__":
    main()
