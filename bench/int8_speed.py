#!/usr/bin/env python3
"""Tandem int8 vs fp32 speed, interleaved: `tandem bench M.int8.tdm` and `M.tdm`.

For each model, thread count and ISA setting, runs both files one after the
other for --rounds rounds (A/B interleaved, so load drifts hit both alike) and
prints per configuration: median latency of each (median over rounds of each
round's median), the spread, and the fp32/int8 ratio of the medians. `avx2`
runs with cpu:isa=avx2 and TANDEM_XNNPACK_ISA=avx2 (XNNPACK limited too).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys


def bench(tandem, path, threads, isa, runs):
    spec = f"cpu:threads={threads}" + (",isa=avx2" if isa == "avx2" else "")
    env = dict(os.environ)
    if isa == "avx2":
        env["TANDEM_XNNPACK_ISA"] = "avx2"
    out = subprocess.run([tandem, "bench", path, "-p", spec, "-r", str(runs), "--json"],
                         capture_output=True, text=True, env=env, check=True).stdout
    j = json.loads(out.strip().splitlines()[-1])
    return j["latency_ms"], j["cpu_ms"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="model base paths (M for M.tdm and M.int8.tdm)")
    ap.add_argument("--tandem", default="build/tandem")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--isa", default="auto,avx2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    print(f"load: {os.getloadavg()}")
    print("| model | isa | threads | fp32 ms (min-max) | int8 ms (min-max) | fp32/int8 | cpu ms fp32/int8 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for m in args.models:
        for isa in args.isa.split(","):
            for t in args.threads.split(","):
                f32, i8, c32, c8 = [], [], [], []
                for _ in range(args.rounds):
                    lat, cpu = bench(args.tandem, m + ".tdm", t, isa, args.runs)
                    f32.append(lat), c32.append(cpu)
                    lat, cpu = bench(args.tandem, m + ".int8.tdm", t, isa, args.runs)
                    i8.append(lat), c8.append(cpu)
                a, b = statistics.median(f32), statistics.median(i8)
                print(f"| {os.path.basename(m)} | {isa} | {t} | {a:.2f} ({min(f32):.2f}-{max(f32):.2f}) "
                      f"| {b:.2f} ({min(i8):.2f}-{max(i8):.2f}) | {a / b:.2f} | "
                      f"{statistics.median(c32) / statistics.median(c8):.2f} |", flush=True)
    print(f"load: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
