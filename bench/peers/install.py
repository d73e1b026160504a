"""Installs each peer runtime from PyPI into the peers virtual environment.

A peer that cannot be installed (no wheel for this platform or Python, no
network) is skipped with a line saying why; the other peers still run.
"""
import os
import subprocess
import sys

# peer -> (module the runner imports, pip requirement lists; each list is one pip call).
# Pinned to the versions the README's tables were measured with; --latest drops the pins.
# pnnx (ONNX -> ncnn converter) declares torch as a dependency for its PyTorch export
# path only; its ONNX converter is a standalone binary, so it goes in with --no-deps.
PACKAGES = {
    "ort": ("onnxruntime", [["onnxruntime==1.32.0"]]),
    "openvino": ("openvino", [["openvino==2026.4.1"]]),
    "mnn": ("MNN", [["MNN==3.6.1"]]),
    "ncnn": ("ncnn", [["ncnn==1.0.20261020"], ["--no-deps", "pnnx==20261020"]]),
}


def unpinned(reqs):
    return [r.split("==")[0] for r in reqs]


def importable(python, module):
    return subprocess.run([python, "-c", f"import {module}"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def pip(python, reqs):
    """Runs pip install; None on success, else the last line pip printed."""
    r = subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check"] + reqs,
                       capture_output=True, text=True)
    if r.returncode == 0:
        return None
    lines = [ln for ln in (r.stderr + r.stdout).splitlines() if ln.strip()]
    return lines[-1] if lines else f"pip exited {r.returncode}"


def ensure(python, peers, latest=False):
    """Installs what is missing; returns {peer: None (ready) or the reason it is skipped}."""
    if not importable(python, "numpy") and (err := pip(python, ["numpy"])):
        sys.exit(f"peers: cannot install numpy into the peers venv: {err}")
    state = {}
    for peer in peers:
        module, calls = PACKAGES[peer]
        if importable(python, module) and (peer != "ncnn" or pnnx_present(python)):
            state[peer] = None
            continue
        print(f"peers: installing {peer} ({' '.join(' '.join(c) for c in calls)})", flush=True)
        err = None
        for reqs in calls:
            err = err or pip(python, unpinned(reqs) if latest else reqs)
        if err is None and not importable(python, module):
            err = f"'import {module}' fails after installing"
        state[peer] = err
        if err:
            print(f"peers: SKIPPING {peer}: cannot install it here: {err}", flush=True)
    return state


def pnnx_binary(python):
    """The pnnx converter binary inside the venv's pnnx package (its console script
    imports torch, the binary does not), or None."""
    r = subprocess.run([python, "-c", "import importlib.util as u, os; s = u.find_spec('pnnx'); "
                        "print(os.path.join(list(s.submodule_search_locations)[0], 'pnnx'))"],
                       capture_output=True, text=True)
    path = r.stdout.strip()
    return path if r.returncode == 0 and path else None


def pnnx_present(python):
    path = pnnx_binary(python)
    return bool(path) and os.access(path, os.X_OK)
