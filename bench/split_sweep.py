#!/usr/bin/env python3
"""Plan quality: measure 2-stage splits of a model over two processors (every
`--step`-th cut point) and compare the best measured split with the automatic
plan. Run on a quiet machine.

  bench/split_sweep.py build/models/googlenet.tdm [--step 4] [--frames 40]
"""
import argparse, json, os, subprocess, sys, tempfile

def bench(tandem, model, procs, plan, frames):
    out = subprocess.run([tandem, "bench", model, "--processors", procs, "--plan", plan,
                          "--frames", str(frames), "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--tandem", default="build/tandem")
    ap.add_argument("--processors", default="cpu:cores=0,cpu:cores=1")
    ap.add_argument("--step", type=int, default=4)
    ap.add_argument("--frames", type=int, default=40)
    a = ap.parse_args()
    p0, p1 = a.processors.split(",")
    info = subprocess.run([a.tandem, "info", a.model], capture_output=True, text=True, check=True).stdout
    n = int([l for l in info.splitlines() if l.startswith("nodes:")][0].split()[1])
    auto = bench(a.tandem, a.model, a.processors, "new", a.frames)
    results = []
    with tempfile.TemporaryDirectory() as d:
        for cut in range(a.step, n, a.step):
            plan = {"processors": [p0, p1], "stages": [
                {"processor": p0, "first_node": 0, "last_node": cut},
                {"processor": p1, "first_node": cut, "last_node": n}]}
            path = os.path.join(d, f"split{cut}.json")
            with open(path, "w") as f:
                json.dump(plan, f)
            fps = bench(a.tandem, a.model, a.processors, path, a.frames)["fps"]
            results.append((cut, fps))
            print(f"cut {cut:4d}: {fps:.2f} FPS", flush=True)
    best = max(results, key=lambda r: r[1])
    auto_fps = auto["fps"]
    print(f"automatic plan ({auto.get('plan_kind')}, stages "
          f"{[(s['first_node'], s['last_node']) for s in auto['stages']]}): {auto_fps:.2f} FPS")
    print(f"best measured 2-stage split: cut {best[0]} at {best[1]:.2f} FPS")
    print(f"auto / best split = {auto_fps / best[1]:.3f}")

if __name__ == "__main__":
    main()
