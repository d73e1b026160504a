#!/usr/bin/env python3
"""Per-node times of ONNX Runtime next to Tandem's, to find the layers where one runtime wins.

  bench/ort_profile.py MODEL.onnx TANDEM_BENCH.json [--threads N] [--runs R]

TANDEM_BENCH.json is the last line of `tandem bench MODEL.tdm --per-op --json`. Nodes are matched
by their ONNX name (Tandem keeps it; fused BN/Relu nodes are folded into the conv they follow).
Prints both runtimes' median per-node ms for each conv, and the totals by kernel shape.
"""
import argparse, json, os, statistics, sys, tempfile
import numpy as np
import onnxruntime as ort


def _fields(buf):
    """Top-level fields of a protobuf message: yields (field number, wire type, value)."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 2:
            n, i = _varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wt}")
        yield num, wt, v


def _varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


class _Node:
    def __init__(self, pb):
        self.input, self.output, self.name, self.op_type = [], [], "", ""
        for num, _, v in _fields(pb):
            if num == 1:
                self.input.append(v.decode())
            elif num == 2:
                self.output.append(v.decode())
            elif num == 3:
                self.name = v.decode()
            elif num == 4:
                self.op_type = v.decode()


def onnx_nodes(path):
    """The graph's nodes (name, op_type, inputs, outputs), read without the onnx package
    (ModelProto.graph = field 7, GraphProto.node = field 1)."""
    data = open(path, "rb").read()
    graph = next(v for num, _, v in _fields(data) if num == 7)
    return [_Node(v) for num, _, v in _fields(graph) if num == 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("onnx")
    ap.add_argument("tandem_json")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=10)
    a = ap.parse_args()
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.enable_profiling = True
    so.profile_file_prefix = os.path.join(tempfile.mkdtemp(), "ort")
    s = ort.InferenceSession(a.onnx, so, providers=["CPUExecutionProvider"])
    i = s.get_inputs()[0]
    x = np.random.default_rng(1).standard_normal([d if isinstance(d, int) else 1 for d in i.shape]).astype(np.float32)
    for _ in range(2):
        s.run(None, {i.name: x})
    for _ in range(a.runs):
        s.run(None, {i.name: x})
    prof = json.load(open(s.end_profiling()))
    ort_ms = {}
    for e in prof:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            ort_ms.setdefault(e["name"][: -len("_kernel_time")], []).append(e["dur"] / 1000.0)
    ort_med = {k: statistics.median(v[-a.runs:]) for k, v in ort_ms.items()}
    # ORT fuses Conv+Relu and names the fused NCHWc node after the output tensor it writes.
    nodes_pb = onnx_nodes(a.onnx)
    consumers = {}
    for nd in nodes_pb:
        for t in nd.input:
            consumers.setdefault(t, []).append(nd)
    alias = {}
    for nd in nodes_pb:
        if nd.op_type != "Conv":
            continue
        out = nd.output[0]
        names = [nd.name, out + "_nchwc", out]
        for c in consumers.get(out, []):
            if c.op_type in ("Relu", "Clip", "Add"):
                names += [c.output[0] + "_nchwc", c.name]
        alias[nd.name] = names
    line = open(a.tandem_json).read().strip().splitlines()[-1]
    nodes = json.loads(line)["nodes"]
    tot_t = tot_o = 0.0
    by_kind = {}
    print(f"{'node':48s} {'MMAC':>8s} {'tandem':>8s} {'ort':>8s} {'t/o':>6s}")
    for n in nodes:
        if n["op"] != "Conv":
            continue
        o = next((ort_med[k] for k in alias.get(n["name"], []) if k in ort_med), float("nan"))
        tot_t += n["ms"]
        tot_o += o if o == o else 0
        kind = n.get("kind", "")
        k = by_kind.setdefault(kind, [0.0, 0.0])
        k[0] += n["ms"]
        k[1] += o if o == o else 0
        print(f"{n['name'][:48]:48s} {n['macs']/1e6:8.1f} {n['ms']:8.3f} {o:8.3f} {n['ms']/o:6.2f}")
    for kind, (t, o) in sorted(by_kind.items()):
        print(f"  {kind or 'conv':24s} tandem {t:7.2f} ms  ort {o:7.2f} ms")
    print(f"conv total: tandem {tot_t:.2f} ms, ort {tot_o:.2f} ms")
    print(f"all ort nodes: {sum(ort_med.values()):.2f} ms; all tandem nodes: {sum(n['ms'] for n in nodes):.2f} ms")


if __name__ == "__main__":
    sys.exit(main())
