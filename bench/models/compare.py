#!/usr/bin/python3
"""Compares an engine output .npy with the PyTorch reference .npy.

Passes when max|out - ref| <= tol * max|ref| (relative error, default tol 1e-4)
and both have the same argmax. An absolute tolerance would pass tiny outputs
whatever they hold, so none is offered. Exit code 0 on pass, 1 on fail.

--parts I,J,...: the tensor is also cut along axis 1 at those indices and each
part must meet the tolerance against its own max|ref|. A detector's raw output
(YOLOv8: 4 box rows in pixels, then class scores in 0..1) needs it: against
the boxes' max|ref| of ~640, any class score error would pass.
"""
import argparse
import sys

import numpy as np


def compare(out, ref, tol):
    out = np.asarray(out, dtype=np.float64).ravel()
    ref = np.asarray(ref, dtype=np.float64).ravel()
    if out.shape != ref.shape:
        return False, f"size {out.size} != reference size {ref.size}"
    if not np.all(np.isfinite(out)):
        return False, "output has NaN or Inf"
    max_ref = np.abs(ref).max()
    max_diff = np.abs(out - ref).max()
    rel = max_diff / max_ref if max_ref > 0 else (0.0 if max_diff == 0 else np.inf)
    same_argmax = int(out.argmax()) == int(ref.argmax())
    ok = rel <= tol and same_argmax
    msg = (f"rel err {rel:.3e} (max|diff| {max_diff:.3e}, max|ref| {max_ref:.3e}), "
           f"argmax {int(out.argmax())} vs {int(ref.argmax())}")
    return ok, msg


def compare_parts(out, ref, tol, cuts):
    """compare() on each slice of axis 1 between consecutive cuts; returns (ok, message)."""
    out, ref = np.asarray(out), np.asarray(ref)
    if out.shape != ref.shape or out.ndim < 2:
        return False, f"--parts needs equal shapes of rank >= 2, got {out.shape} and {ref.shape}"
    bounds = [0] + cuts + [ref.shape[1]]
    ok_all, msgs = True, []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        if not 0 <= lo < hi <= ref.shape[1]:
            return False, f"--parts: bad range {lo}:{hi} for axis 1 of size {ref.shape[1]}"
        ok, msg = compare(out[:, lo:hi], ref[:, lo:hi], tol)
        ok_all = ok_all and ok
        msgs.append(f"[{lo}:{hi}] {msg}")
    return ok_all, "; ".join(msgs)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("output", help="engine output .npy")
    p.add_argument("reference", help="PyTorch output .npy")
    p.add_argument("--tol", type=float, default=1e-4, help="relative tolerance (default 1e-4)")
    p.add_argument("--name", default="", help="label for the printed line")
    p.add_argument("--parts", default="",
                   help="also check each part of axis 1 cut at these indices (e.g. 4)")
    args = p.parse_args()
    try:
        out, ref = np.load(args.output), np.load(args.reference)
    except (OSError, ValueError) as e:
        print(f"{args.name or args.output}: FAIL cannot read: {e}")
        return 1
    ok, msg = compare(out, ref, args.tol)
    if args.parts:
        ok_parts, msg_parts = compare_parts(out, ref, args.tol, [int(c) for c in args.parts.split(",")])
        ok, msg = ok and ok_parts, f"{msg}; parts {msg_parts}"
    print(f"{args.name or args.output}: {'PASS' if ok else 'FAIL'} {msg}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
