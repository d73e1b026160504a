#!/usr/bin/python3
"""Plan quality: measures 2-stage split points of a model and the automatic plan.

For a model and two processors A,B it runs `tandem plan --json` (the automatic
plan and its predicted FPS), then `tandem bench --processors A,B --plan FILE`
for candidate splits [0,k) on A + [k,N) on B (every node with --all, else about
--candidates evenly spaced cuts plus the cuts next to the automatic plan's),
and finally the automatic plan itself. Prints one CSV line per split and a
summary: the best measured split, the automatic plan's measured FPS and their
ratio (target >= 0.95), predicted vs measured FPS.

    bench/plan_quality.py build/models/googlenet.tdm --processors cpu:cores=0,cpu:cores=1

Standard library only; in process through the Python module when it imports
(bench/tandem_calls.py), else the CLI. The machine must be quiet: the splits are measured one
after the other, and outside load moves FPS by more than the differences
between neighbouring splits.
"""
import argparse
import json
import os
import sys
import tempfile

from tandem_calls import Tandem


def bench(t, model, processors, plan_path, frames, rounds):
    fps = []
    for _ in range(rounds):
        fps.append(t.bench(model, processors=processors, plan=plan_path, frames=frames)["fps"])
    fps.sort()
    return fps[len(fps) // 2], fps


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--processors", required=True, help="exactly two specs, A,B")
    p.add_argument("--tandem", default=os.path.join(os.path.dirname(__file__), "..", "build", "tandem"))
    p.add_argument("--candidates", type=int, default=24, help="evenly spaced cuts to measure")
    p.add_argument("--all", action="store_true", help="measure every cut")
    p.add_argument("--frames", type=int, default=40)
    p.add_argument("--rounds", type=int, default=3, help="bench runs per split (median)")
    p.add_argument("--no-module", action="store_true", help="run the CLI even if the module imports")
    args = p.parse_args()
    t = Tandem(args.tandem, use_module=not args.no_module)
    print(f"using the {t.describe()}", file=sys.stderr)

    auto = t.plan(args.model, args.processors)
    procs = auto["processors"]
    if len(procs) != 2:
        sys.exit("plan_quality: give exactly two processors")
    n = auto["stages"][-1]["last_node"]
    auto_cuts = [s["first_node"] for s in auto["stages"] if s["first_node"] > 0]
    if args.all:
        cuts = list(range(1, n))
    else:
        step = max(1, n // (args.candidates + 1))
        cuts = set(range(step, n, step))
        for c in auto_cuts:
            cuts.update(k for k in (c - 2, c - 1, c, c + 1, c + 2) if 0 < k < n)
        cuts = sorted(cuts)

    tmp = tempfile.mkdtemp(prefix="tandem_plan_quality_")
    print("split,first_processor,fps_median,fps_runs")
    best = (0.0, None)
    for k in cuts:
        path = os.path.join(tmp, f"split_{k}.json")
        with open(path, "w") as f:
            json.dump({"processors": procs, "objective": "split",
                       "stages": [{"processor": procs[0], "first_node": 0, "last_node": k},
                                  {"processor": procs[1], "first_node": k, "last_node": n}]}, f)
        fps, runs = bench(t, args.model, args.processors, path, args.frames, args.rounds)
        print(f"{k},{procs[0]},{fps:.3f},{' '.join(f'{x:.3f}' for x in runs)}", flush=True)
        if fps > best[0]:
            best = (fps, k)

    auto_path = os.path.join(tmp, "auto.json")
    with open(auto_path, "w") as f:
        json.dump(auto, f)
    auto_fps, auto_runs = bench(t, args.model, args.processors, auto_path, args.frames,
                                args.rounds)
    print(f"auto,{auto['kind']},{auto_fps:.3f},{' '.join(f'{x:.3f}' for x in auto_runs)}")
    ratio = auto_fps / best[0] if best[0] > 0 else float("nan")
    print(json.dumps({"model": args.model, "nodes": n, "auto_kind": auto["kind"],
                      "auto_cuts": auto_cuts, "auto_predicted_fps": auto["predicted_fps"],
                      "auto_measured_fps": auto_fps, "best_split": best[1],
                      "best_split_fps": best[0], "ratio_to_best_split": ratio,
                      "splits_measured": len(cuts)}))


if __name__ == "__main__":
    main()
