"""Tandem next to ONNX Runtime, OpenVINO, MNN and ncnn on the same ONNX files.

Run through bench/peers.sh, which makes the virtual environment this runs in.
One process per (runtime, model, threads) measurement: W warm-up + M timed
frames, its peak RSS from GNU time. Every round measures every (model, threads)
on every runtime, the runtimes' order rotating from round to round, so all of
them see the same machine noise; FPS is the median over rounds (min-max beside
it). Writes a markdown table and a JSON file with every measurement.
"""
import argparse
import os
import subprocess
import sys

import convert
import install
import measure
import report

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ZOO = "resnet50,densenet121,mobilenet_v2,googlenet,vgg19"
ALL_PEERS = "ort,openvino,mnn,ncnn,tandem"
RUNNER = {"ort": "run_ort.py", "openvino": "run_openvino.py", "openvino-tput": "run_openvino.py",
          "mnn": "run_mnn.py", "ncnn": "run_ncnn.py"}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=ZOO, help=f"torchvision names or .onnx paths ({ZOO})")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=20, help="timed frames per process")
    ap.add_argument("--warmup", type=int, default=3, help="untimed frames first")
    ap.add_argument("--peers", default=ALL_PEERS,
                    help="ort,openvino,mnn,ncnn,tandem (openvino and tandem also add their "
                         "throughput columns at threads >= 2)")
    ap.add_argument("--tandem-spec", default="cpu", help="Tandem processor; threads=N is set "
                    "per row (e.g. cpu:isa=avx2)")
    ap.add_argument("--no-tput", action="store_true", help="skip the throughput columns (at "
                    "threads N >= 2: OpenVINO's THROUGHPUT hint with N streams, Tandem's "
                    "--processors on cores 0..N-1)")
    ap.add_argument("--mnn-precision", default="normal", choices=["normal", "high"])
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "peers-results.md"),
                    help="results file: X.md and X.json are written (X.md, X.json or X)")
    ap.add_argument("--model-dir", default=os.path.join(ROOT, "build", "models"))
    ap.add_argument("--cache", default=os.path.join(ROOT, "build", "peers-cache"))
    ap.add_argument("--tandem", default=os.environ.get("TANDEM", os.path.join(ROOT, "build",
                                                                               "tandem")))
    ap.add_argument("--timeout", type=int, default=900, help="seconds per measurement process")
    ap.add_argument("--latest", action="store_true", help="install the newest peer packages "
                    "instead of the pinned versions")
    return ap.parse_args()


def resolve_models(names, model_dir):
    """(name, onnx path) per model; torchvision names not yet exported are exported with
    /usr/bin/python3 (Debian's torch and torchvision) by bench/models/export_zoo.py."""
    models, missing = [], []
    for n in [m for m in names.split(",") if m]:
        path = n if n.endswith(".onnx") else os.path.join(model_dir, f"{n}.onnx")
        models.append((os.path.basename(path)[: -len(".onnx")], path))
        if not os.path.exists(path):
            if n.endswith(".onnx"):
                sys.exit(f"peers: no such file: {path}")
            missing.append(n)
    if missing:
        print(f"peers: exporting {','.join(missing)} into {model_dir}", flush=True)
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "models", "export_zoo.py"),
                        "--models", ",".join(missing), "--out", model_dir, "--skip-existing"],
                       check=True)
    return models


def input_shape(onnx):
    """From NAME.input.npy next to the model (export_zoo.py writes it), else 1x3x224x224."""
    npy = onnx[: -len(".onnx")] + ".input.npy"
    if os.path.exists(npy):
        import numpy as np  # here, not at the top: install.ensure puts numpy into a new venv
        return list(np.load(npy, mmap_mode="r").shape)
    return [1, 3, 224, 224]


def runner_cmd(peer, model_file, onnx, threads, args):
    cmd = [sys.executable, os.path.join(HERE, RUNNER[peer]), model_file, "--threads", str(threads),
           "--warmup", str(args.warmup), "--runs", str(args.runs),
           "--shape", ",".join(map(str, input_shape(onnx)))]
    base = onnx[: -len(".onnx")]
    if os.path.exists(base + ".input.npy") and os.path.exists(base + ".output.npy"):
        cmd += ["--input", base + ".input.npy", "--expect", base + ".output.npy"]
    if peer == "openvino":
        cmd += ["--hint", "latency"]
    elif peer == "openvino-tput":
        cmd += ["--hint", "throughput"]
    elif peer == "mnn":
        cmd += ["--precision", args.mnn_precision]
    return cmd


def caps_avx2(args):
    """With Tandem restricted to AVX2, its XNNPACK ops and OpenVINO are too: oneDNN honours
    ONEDNN_MAX_CPU_ISA (run_openvino.py reports how many primitives still say avx512)."""
    return "isa=avx2" in args.tandem_spec


def peer_env(peer, args):
    """Caps a peer's kernels where --tandem-spec caps Tandem's: OpenVINO through oneDNN's
    ONEDNN_MAX_CPU_ISA, Tandem's XNNPACK-backed ops through TANDEM_XNNPACK_ISA (isa=avx2
    alone limits only Tandem's own kernels)."""
    if not caps_avx2(args):
        return None
    if peer.startswith("openvino"):
        return {"ONEDNN_MAX_CPU_ISA": "AVX2"}
    if peer.startswith("tandem"):
        return {"TANDEM_XNNPACK_ISA": "avx2"}
    return None


def measure_one(peer, name, onnx, threads, args, ctx):
    """One process: a measurement record (fps, ms, rss_kib, ...) or one with 'error'."""
    rec = {"model": name, "threads": threads, "peer": peer}
    try:
        model_file = convert.prepare(peer, onnx, name, args.cache, ctx)
        if peer == "tandem":
            spec = measure.tandem_spec(args.tandem_spec, threads)
            cmd = [args.tandem, "bench", model_file, "--processor", spec, "--runs", str(args.runs),
                   "--warmup", str(args.warmup), "--json"]
        elif peer == "tandem-tput":
            cmd = [args.tandem, "bench", model_file, "--processors",
                   measure.tandem_cores(args.tandem_spec, threads), "--frames",
                   str(args.runs * threads), "--rounds", "1", "--json"]
        else:
            cmd = runner_cmd(peer, model_file, onnx, threads, args)
        result, rss, out = measure.run_measured(cmd, args.timeout, peer_env(peer, args))
    except (convert.ConvertError, RuntimeError, OSError) as e:
        rec["error"] = str(e)
        return rec
    if peer == "tandem":
        result = {"fps": result["fps"], "ms_median": result["latency_ms"],
                  "ms_min": result["latency_min_ms"], "ms_max": result["latency_max_ms"],
                  "cpu_ms": result["cpu_ms"], "setup_ms": result["compile_ms"],
                  "processor": result["processor"], "fallback_nodes": result["fallback_nodes"],
                  "peak_gflops_per_core": measure.tandem_text(out).get("peak_gflops_per_core"),
                  "peak_isa": measure.tandem_text(out).get("peak_isa")}
    elif peer == "tandem-tput":
        result = {"fps": result["fps"], "ms_median": result["loaded_latency_ms"],
                  "processors": result["processors"], "plan_kind": result.get("plan_kind"),
                  "frames": result["frames"]}
    rec.update(result)
    rec["rss_kib"] = rss
    return rec


def schedule(models, threads, peers, rounds):
    """(round, model, threads, peer) in run order: rounds outermost, the peers' order
    rotated by one each (model, threads) step so none always runs first or last."""
    step = 0
    for r in range(1, rounds + 1):
        for name, onnx in models:
            for t in threads:
                row = [p for p in peers if not p.endswith("-tput") or t >= 2]
                k = step % len(row)
                step += 1
                for p in row[k:] + row[:k]:
                    yield r, name, onnx, t, p


def ready_peers(args):
    """Installs the requested peers; (peers to run, {peer: why skipped})."""
    asked = [p for p in args.peers.split(",") if p]
    unknown = [p for p in asked if p not in ALL_PEERS.split(",")]
    if unknown:
        sys.exit(f"peers: unknown peer(s) {','.join(unknown)} (known: {ALL_PEERS})")
    state = install.ensure(sys.executable, [p for p in asked if p != "tandem"], args.latest)
    skipped = {p: why for p, why in state.items() if why}
    if "tandem" in asked and not os.access(args.tandem, os.X_OK):
        skipped["tandem"] = f"no {args.tandem} (build it: cmake --build build --target tandem)"
        print(f"peers: SKIPPING tandem: {skipped['tandem']}", flush=True)
    peers = [p for p in asked if p not in skipped]
    if not args.no_tput and any(t >= 2 for t in args.thread_list):
        peers += [p + "-tput" for p in ("openvino", "tandem") if p in peers]
    return peers, skipped


def baselines(peers, args):
    """Version and peak RSS of each Python runner that only imports its runtime."""
    out = {}
    for p in [p for p in peers if p in ("ort", "openvino", "mnn", "ncnn")]:
        try:
            r, rss, _ = measure.run_measured([sys.executable, os.path.join(HERE, RUNNER[p]), "-",
                                              "--import-only"], args.timeout)
            out[p] = {"version": r["version"], "import_rss_kib": rss}
        except RuntimeError as e:
            out[p] = {"error": str(e)}
    return out


def fma_probe(args, models, ctx):
    """Tandem's description of its processor and the measured FMA peak (one short bench)."""
    name, onnx = models[0]
    try:
        tdm = convert.prepare("tandem", onnx, name, args.cache, ctx)
        _, _, out = measure.run_measured([args.tandem, "bench", tdm, "--processor",
                                          measure.tandem_spec(args.tandem_spec, 1), "--runs", "1",
                                          "--warmup", "0", "--json"], args.timeout)
        return measure.tandem_text(out)
    except (convert.ConvertError, RuntimeError) as e:
        return {"error": str(e)}


def header_lines(mach, probe, versions, skipped, args):
    lines = [f"- machine: {mach['cpu']}, {mach['cores']} cores, {mach['memory_gib']} GiB, "
             f"ISA {mach['isa']}"]
    if "peak_gflops_per_core" in probe:
        lines.append(f"- measured fp32 FMA peak: {probe['peak_gflops_per_core']:.1f} GFLOP/s per "
                     f"core ({probe.get('peak_isa', '?')} loop; the best any tandem bench "
                     "process saw)")
    lines.append(f"- Tandem: {args.tandem_spec} -> {probe.get('processor', '?')} "
                 f"({probe.get('description', probe.get('error', '?'))})")
    for p, v in versions.items():
        rss = v.get("import_rss_kib")
        note = f" (Python runner; import alone peaks at {rss / 1024:.0f} MiB RSS)" if rss else ""
        lines.append(f"- {report.LABEL[p]} {v.get('version', v.get('error'))}{note}")
    if caps_avx2(args):
        lines.append("- Tandem runs with TANDEM_XNNPACK_ISA=avx2 (its XNNPACK ops on AVX2 too)")
        lines.append("- OpenVINO runs with ONEDNN_MAX_CPU_ISA=AVX2 (its convolutions become "
                     "brgconv_avx2; the avx512 column of the JSON counts primitives that still "
                     "say avx512); ONNX Runtime, MNN and ncnn use every ISA extension the CPU "
                     "has (none of them has a switch to restrict it)")
    elif "isa=" in args.tandem_spec:
        lines.append("- the peers use every ISA extension the CPU has; only Tandem's own "
                     "kernels are restricted")
    for p, why in skipped.items():
        lines.append(f"- skipped {p}: {why}")
    lines.append(f"- {args.rounds} round(s), each process {args.warmup} warm-up + {args.runs} "
                 f"timed frames; FPS = 1000 / median frame ms, median over rounds (min-max)")
    lines.append("- command: bench/peers.sh " + " ".join(sys.argv[1:]))
    return lines


def main():
    args = parse_args()
    args.thread_list = [int(t) for t in args.threads.split(",") if t]
    if not os.access(measure.GNU_TIME, os.X_OK):
        sys.exit("peers: needs GNU time for peak RSS (apt-get install time)")
    models = resolve_models(args.models, args.model_dir)
    peers, skipped = ready_peers(args)
    ctx = {"venv_bin": os.path.dirname(sys.executable), "tandem": args.tandem,
           "pnnx": install.pnnx_binary(sys.executable)}
    mach = measure.machine()
    print(f"peers: machine {mach['cpu']}, {mach['cores']} cores, ISA {mach['isa']}", flush=True)
    probe = fma_probe(args, models, ctx) if "tandem" in peers else {}
    if "peak_gflops_per_core" in probe:
        print(f"peers: fp32 FMA peak {probe['peak_gflops_per_core']:.1f} GFLOP/s per core "
              f"({probe.get('peak_isa', '?')})", flush=True)
    versions = baselines(peers, args)
    head = header_lines(mach, probe, versions, skipped, args)
    print("\n".join(head), flush=True)
    base = args.out[: -len(".md")] if args.out.endswith(".md") else args.out
    base = base[: -len(".json")] if base.endswith(".json") else base
    md, js = base + ".md", base + ".json"
    os.makedirs(os.path.dirname(os.path.abspath(md)), exist_ok=True)
    header = {"machine": mach, "tandem": probe, "peers": versions, "skipped": skipped,
              "settings": {k: v for k, v in vars(args).items()}}
    measurements = []
    for r, name, onnx, t, p in schedule(models, args.thread_list, peers, args.rounds):
        ctx["shape"] = input_shape(onnx)
        rec = measure_one(p, name, onnx, t, args, ctx)
        rec["round"] = r
        measurements.append(rec)
        if "error" in rec:
            print(f"round {r} {name} t={t} {p}: FAILED: {rec['error']}", flush=True)
        else:
            print(f"round {r} {name} t={t} {p}: {rec['fps']:.2f} FPS ({rec['ms_median']:.2f} ms), "
                  f"peak RSS {(rec['rss_kib'] or 0) / 1024:.0f} MiB", flush=True)
        if (rec.get("peak_gflops_per_core") or 0) > probe.get("peak_gflops_per_core", 0):
            probe["peak_gflops_per_core"] = rec["peak_gflops_per_core"]  # best seen so far
            probe["peak_isa"] = rec.get("peak_isa") or "?"
            head = header_lines(mach, probe, versions, skipped, args)
        report.write(md, js, header, head, measurements, peers, [])
    with open(md) as f:
        print("\n" + f.read())
    print(f"peers: wrote {md} and {js}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
