#!/usr/bin/env python3
"""Static instruction counts of the NEON kernels' hot loops (speed under qemu means nothing).

Disassembles the cross-built objects with aarch64-linux-gnu-objdump, finds every innermost
loop (a backward branch over straight-line code) that contains fmla, and prints its instruction mix: instructions,
fmla+fmul (fma), loads, stores, and instructions per fma. Usage:
  scripts/test_neon_qemu.sh && bench/neon/neon_insn_count.py [BUILD_DIR]
"""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-neon-aarch64")
NAME = re.compile(r"::(ukernel<\d+>|row_group<\d+>|dwconv_f32_3x3_neon\w*)\(")
BRANCH = re.compile(r"^(b\.\w+|cbnz|cbz|tbnz|tbz|b)$")


def functions(obj):
    out = subprocess.run(["aarch64-linux-gnu-objdump", "-d", "--no-show-raw-insn", "-C", obj],
                         check=True, capture_output=True, text=True).stdout
    name, body = None, []
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if m:
            if name:
                yield name, body
            name, body = m.group(1), []
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
        if m and name:
            body.append((int(m.group(1), 16), m.group(2), m.group(3)))
    if name:
        yield name, body


def loops(body):
    for i, (addr, op, args) in enumerate(body):
        if not BRANCH.match(op):
            continue
        t = re.search(r"\b([0-9a-f]+) <", args)
        if not t or int(t.group(1), 16) >= addr:
            continue
        start = int(t.group(1), 16)
        insns = [b for b in body[: i + 1] if b[0] >= start]
        if any(BRANCH.match(b[1]) for b in insns[:-1]):
            continue  # not an innermost straight-line loop
        fmla = sum(1 for b in insns if b[1] in ("fmla", "fmul"))
        if fmla:
            yield insns, fmla


def main():
    objs = glob.glob(os.path.join(BUILD, "CMakeFiles", "test_neon_kernels.dir", "**", "*_neon.cc.o"),
                     recursive=True)
    if not objs:
        sys.exit(f"no *_neon.cc.o under {BUILD}: run scripts/test_neon_qemu.sh first")
    print(f"{'kernel loop':58} {'insns':>5} {'fma':>4} {'ld':>3} {'st':>3} {'insn/fma':>9}")
    for obj in sorted(objs):
        for name, body in functions(obj):
            m = NAME.search(name)
            if not m:
                continue
            short = m.group(1)
            for insns, fmla in loops(body):
                ld = sum(1 for b in insns if b[1].startswith("ld"))
                st = sum(1 for b in insns if b[1].startswith("st"))
                label = f"{short} @{insns[0][0]:x}"
                print(f"{label:58} {len(insns):5} {fmla:4} {ld:3} {st:3} {len(insns) / fmla:9.2f}")


if __name__ == "__main__":
    main()
