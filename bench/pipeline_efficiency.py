#!/usr/bin/env python3
"""Pipeline efficiency on this machine: for each model, interleaved rounds of
  single core (cpu:cores=0), intra-op 2 threads (cpu:threads=2), and the
  automatic plan over cpu:cores=0,cpu:cores=1,
then medians, spread and ratios. Run on a quiet machine.

  bench/pipeline_efficiency.py build/models/googlenet.tdm ... [--rounds 5] [--frames 60] [--refresh]
"""
import argparse, json, statistics, subprocess, sys

def bench(tandem, model, args):
    out = subprocess.run([tandem, "bench", model, "--json"] + args, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"tandem bench failed: {' '.join(args)}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--tandem", default="build/tandem")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--refresh", action="store_true",
                    help="profile again before planning (the machine's speed drifts; a cached "
                         "profile from another hour predicts another machine)")
    a = ap.parse_args()
    pair = "cpu:cores=0,cpu:cores=1"
    rows = []
    for m in a.models:
        # Plan once (profiles are cached), then interleave the three configurations.
        subprocess.run([a.tandem, "plan", m, "--processors", pair, "--save"] +
                       (["--refresh"] if a.refresh else []), check=True,
                       capture_output=True)
        one, two, piped, pred = [], [], [], 0.0
        for r in range(a.rounds):
            one.append(bench(a.tandem, m, ["--processor", "cpu:cores=0", "--runs", str(a.runs)])["fps"])
            two.append(bench(a.tandem, m, ["--processor", "cpu:threads=2", "--runs", str(a.runs)])["fps"])
            j = bench(a.tandem, m, ["--processors", pair, "--plan", "auto", "--frames", str(a.frames)])
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
