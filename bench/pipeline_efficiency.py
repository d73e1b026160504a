#!/usr/bin/env python3
"""Pipeline efficiency on this machine: for each model, interleaved rounds of
  single core (cpu:cores=0), intra-op 2 threads (cpu:threads=2), and the
  automatic plan over cpu:cores=0,cpu:cores=1,
then medians, spread and ratios. Run on a quiet machine. In process through
the Python module when it imports (bench/tandem_calls.py), else the CLI.

  bench/pipeline_efficiency.py build/models/googlenet.tdm ... [--rounds 5] [--frames 60] [--refresh]
"""
import argparse, statistics, sys

from tandem_calls import Tandem

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--tandem", default="build/tandem")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--no-module", action="store_true", help="run the CLI even if the module imports")
    ap.add_argument("--refresh", action="store_true",
                    help="profile again before planning (the machine's speed drifts; a cached "
                         "profile from another hour predicts another machine)")
    a = ap.parse_args()
    t = Tandem(a.tandem, use_module=not a.no_module)
    print(f"using the {t.describe()}", file=sys.stderr)
    pair = "cpu:cores=0,cpu:cores=1"
    rows = []
    for m in a.models:
        # Plan once (profiles are cached), then interleave the three configurations.
        t.plan(m, pair, save=True, refresh=a.refresh)
        one, two, piped, pred = [], [], [], 0.0
        for r in range(a.rounds):
            one.append(t.bench(m, processor="cpu:cores=0", runs=a.runs)["fps"])
            two.append(t.bench(m, processor="cpu:threads=2", runs=a.runs)["fps"])
            j = t.bench(m, processors=pair, plan="auto", frames=a.frames)
            piped.append(j["fps"])
            pred = j["predicted_fps"]
            kind = j.get("plan_kind", "?")
        med = statistics.median
        rows.append((m, med(one), med(two), med(piped), pred, kind, one, two, piped))
        print(f"{m}: 1 core {med(one):.2f} | 2 threads {med(two):.2f} | plan ({kind}) {med(piped):.2f} "
              f"(predicted {pred:.2f}) | plan/1core {med(piped)/med(one):.3f} | plan/2threads "
              f"{med(piped)/med(two):.3f}", flush=True)
    print("\n| model | 1 core FPS | cpu:threads=2 FPS | plan FPS (kind) | predicted | plan / 1 core | plan / 2 threads | spread (min-max) plan |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for m, o, t, p, pred, kind, one, two, piped in rows:
        print(f"| {m.split('/')[-1]} | {o:.2f} | {t:.2f} | {p:.2f} ({kind}) | {pred:.2f} | {p/o:.3f} | {p/t:.3f} | {min(piped):.2f}-{max(piped):.2f} |")

if __name__ == "__main__":
    main()
