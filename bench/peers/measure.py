"""Runs one measurement process under GNU time and reads its JSON line and peak RSS;
the machine's ISA and Tandem's measured FMA peak."""
import json
import os
import platform
import re
import signal
import subprocess
import tempfile

GNU_TIME = "/usr/bin/time"


def run_measured(cmd, timeout_s, env=None):
    """Runs cmd (its own process group) under `time -f %M`, with `env` added to the
    environment: (last JSON line of stdout as a dict, peak RSS KiB, full stdout) or raises
    RuntimeError naming what went wrong."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        p = subprocess.Popen([GNU_TIME, "-f", "%M", "-o", rss.name] + cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True,
                             env={**os.environ, **(env or {})})
        try:
            out, err = p.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise RuntimeError(f"timed out after {timeout_s} s")
        lines = [ln for ln in out.splitlines() if ln.strip()]
        if p.returncode != 0 or not lines:
            tail = [ln for ln in (err + out).splitlines() if ln.strip()][-1:] or ["no output"]
            raise RuntimeError(f"exit {p.returncode}: {tail[0][:300]}")
        try:
            result = json.loads(lines[-1])
        except json.JSONDecodeError:
            raise RuntimeError(f"last line is not JSON: {lines[-1][:200]}")
        rss_lines = [ln for ln in rss.read().splitlines() if ln.strip().isdigit()]
        return result, int(rss_lines[-1]) if rss_lines else None, out


def tandem_spec(base, threads):
    """--tandem-spec with threads=N set: 'cpu:isa=avx2' -> 'cpu:threads=2,isa=avx2'."""
    kind, _, opts = base.partition(":")
    rest = [o for o in opts.split(",") if o and not o.startswith("threads=")]
    return f"{kind}:threads={threads}" + "".join("," + o for o in rest)


def tandem_cores(base, threads):
    """--processors for Tandem's throughput mode: one cpu processor per core 0..N-1 with
    --tandem-spec's options ('cpu:isa=avx2', 2 -> 'cpu:cores=0,isa=avx2,cpu:cores=1,isa=avx2')."""
    kind, _, opts = base.partition(":")
    rest = [o for o in opts.split(",") if o and not o.startswith(("threads=", "cores="))]
    return ",".join(f"{kind}:cores={c}" + "".join("," + o for o in rest) for c in range(threads))


def tandem_text(out):
    """The processor description and the FMA peak line of `tandem bench`'s text output."""
    info = {}
    m = re.search(r"^processor\s+(\S+) \((.*)\)$", out, re.M)
    if m:
        info["processor"], info["description"] = m.group(1), m.group(2)
    m = re.search(r"of ([\d.]+) GFLOP/s peak \((\d+) x (\S+) core\)", out)
    if m:
        info["peak_gflops_per_core"] = float(m.group(1)) / int(m.group(2))
        info["peak_isa"] = m.group(3)
    return info


def machine():
    """CPU model, core count, memory and the highest x86 vector ISA from /proc/cpuinfo."""
    flags, model = set(), platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("flags", "Features") and not flags:
                    flags = set(value.split())
                elif key == "model name":
                    model = value.strip()
    except OSError:
        pass
    if "avx512f" in flags:
        isa = "avx512f"
        extra = sorted(f for f in flags
                       if (f.startswith("avx512") and f != "avx512f") or f.startswith("amx"))
        isa += " (+" + ", ".join(extra) + ")" if extra else ""
    elif "avx2" in flags and "fma" in flags:
        isa = "avx2+fma"
    elif "asimd" in flags:
        isa = "aarch64 asimd" + (" (+fphp, asimdhp)" if "asimdhp" in flags else "")
    else:
        isa = "sse/scalar" if flags else "unknown"
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": round(mem_gib, 1), "isa": isa,
            "arch": platform.machine()}
