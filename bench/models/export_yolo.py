#!/usr/bin/python3
"""Exports YOLOv8 detectors (ultralytics, random weights) as ONNX reference models.

For each model NAME it writes, into the output folder (default build/models,
outside git): NAME.onnx, NAME.input.npy (a fixed 1x3xSxS input, uniform in
[0, 1) like an image) and NAME.output.npy (PyTorch's raw output, 1 x 84 x A:
4 box rows xywh in pixels, then 80 class scores, for A anchors).

Models: yolov8n (ultralytics' yolov8n.yaml, 640x640, output 1x84x8400) and
yolov8_tiny (the same architecture at width multiple 0.125 instead of 0.25,
320x320, output 1x84x2100: the fast CI case).

The export is the one a user runs: YOLO(yaml).export(format="onnx", opset=13,
imgsz=S, simplify=False), which fuses Conv+BatchNorm and writes the decoded
head (DFL softmax, anchors, strides). Weights are random (nothing is
downloaded); BatchNorm statistics are re-estimated on random images first, as
export_zoo.py does, so activations stay of order one.

ultralytics is not packaged by Debian. Run this with Debian's Python
(/usr/bin/python3); it makes a virtual environment (default build/venv-yolo)
with --system-site-packages, so Debian's torch, torchvision, numpy, yaml, PIL,
psutil and requests serve, installs ultralytics with --no-deps (its declared
dependencies would pull a second numpy, matplotlib, polars, ...: none of them
is imported to build and export a model) plus opencv-python-headless (imported
by ultralytics at start), then runs itself inside it. ultralytics runs with
YOLO_OFFLINE=1 and its settings in the venv, so it fetches nothing. Exit code 3:
the environment cannot be made (e.g. no network for pip).
"""
import argparse
import os
import subprocess
import sys

ULTRALYTICS = "ultralytics==8.4.190"
OPENCV = "opencv-python-headless==4.11.0.86"
# name: (ultralytics scale [depth, width, max_channels], input size)
MODELS = {
    "yolov8n": ([0.33, 0.25, 1024], 640),
    "yolov8_tiny": ([0.33, 0.125, 1024], 320),
}
REEXEC_MARK = "TANDEM_EXPORT_YOLO_IN_VENV"


def venv_python(venv):
    return os.path.join(venv, "bin", "python")


def has_ultralytics(python):
    env = dict(os.environ, YOLO_OFFLINE="1", YOLO_CONFIG_DIR=os.path.join(os.path.dirname(
        os.path.dirname(python)), "ultralytics-settings"))
    probe = "import cv2, numpy, torch, ultralytics"
    return subprocess.run([python, "-c", probe], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def make_venv(venv):
    """Creates the venv and installs ultralytics in it; returns an error string or None."""
    python = venv_python(venv)
    if not os.path.exists(python):
        r = subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", venv])
        if r.returncode != 0:
            return f"cannot create the virtual environment {venv} (python3-venv installed?)"
    import numpy  # Debian's: pinned so pip keeps it instead of pulling numpy 2 for opencv

    steps = [["--no-deps", ULTRALYTICS], [OPENCV, f"numpy=={numpy.__version__}"]]
    for args in steps:
        cmd = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--retries", "1", "--timeout", "30"] + args
        print("export_yolo: " + " ".join(cmd), flush=True)
        if subprocess.run(cmd).returncode != 0:
            return f"pip install {' '.join(args)} failed in {venv}"
    if not has_ultralytics(python):
        return f"ultralytics still does not import in {venv}"
    return None


def enter_venv(venv, install):
    """Re-runs this script inside the venv (made on first use) unless already there."""
    if os.environ.get(REEXEC_MARK) == "1":
        return
    python = venv_python(venv)
    if not (os.path.exists(python) and has_ultralytics(python)):
        if not install:
            print(f"export_yolo: no ultralytics in {venv} and --no-install given", file=sys.stderr)
            sys.exit(3)
        err = make_venv(venv)
        if err:
            print(f"export_yolo: {err}", file=sys.stderr)
            sys.exit(3)
    env = dict(os.environ, YOLO_OFFLINE="1", YOLO_CONFIG_DIR=os.path.join(venv, "ultralytics-settings"))
    env[REEXEC_MARK] = "1"
    os.execve(python, [python, os.path.abspath(__file__)] + sys.argv[1:], env)


def model_yaml(name, out_dir):
    """The model's ultralytics config: the packaged yolov8n.yaml, or a copy at another scale."""
    if name == "yolov8n":
        return "yolov8n.yaml"
    from ultralytics.nn.tasks import yaml_model_load
    from ultralytics.utils import YAML

    cfg = yaml_model_load("yolov8n.yaml")  # the packaged yolov8.yaml, scale "n"
    cfg = {k: v for k, v in cfg.items() if k not in ("scale", "yaml_file")}
    cfg["scales"] = {"t": MODELS[name][0]}
    path = os.path.join(out_dir, f"{name}.yaml")
    YAML.save(path, cfg)
    return path


def export(name, out_dir, seed, opset, batches):
    import numpy as np
    import torch
    from ultralytics import YOLO

    size = MODELS[name][1]
    torch.manual_seed(seed)
    yolo = YOLO(model_yaml(name, out_dir))
    model = yolo.model.eval()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from export_zoo import recalibrate_batchnorm  # the classifiers' BN re-estimation
    n_bn = recalibrate_batchnorm(model, size, batches, seed, batch=4, uniform=True)
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(seed + 2))
    with torch.no_grad():
        y = model(x)[0].numpy()  # eval mode: (decoded 1x84xA, raw maps)
        y64 = model.double()(x.double())[0].numpy()
    model.float()
    cwd = os.getcwd()
    os.chdir(out_dir)  # the exporter writes next to the config's stem
    try:
        written = yolo.export(format="onnx", opset=opset, imgsz=size, simplify=False,
                              dynamic=False, device="cpu", verbose=False)
    finally:
        os.chdir(cwd)
    onnx_path = os.path.join(out_dir, f"{name}.onnx")
    os.replace(os.path.join(out_dir, os.path.basename(written)), onnx_path)
    np.save(os.path.join(out_dir, f"{name}.input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, f"{name}.output.npy"), y.astype(np.float32))
    gap = np.abs(y - y64).max() / np.abs(y64).max()
    boxes, scores = y[:, :4], y[:, 4:]
    print(f"{name}: {onnx_path} input 1x3x{size}x{size}, output {'x'.join(map(str, y.shape))}, "
          f"{n_bn} BN layers re-estimated, boxes max {np.abs(boxes).max():.3g}, scores "
          f"{scores.min():.3g}..{scores.max():.3g}, torch fp32 vs fp64 rel err {gap:.2e}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir", nargs="?", default="build/models", help="output folder (default build/models)")
    p.add_argument("--models", default="yolov8n", help="comma-separated: " + ",".join(MODELS))
    p.add_argument("--venv", default=None, help="virtual environment (default build/venv-yolo)")
    p.add_argument("--no-install", action="store_true", help="fail (exit 3) instead of making the venv")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--opset", type=int, default=13)
    p.add_argument("--bn-batches", type=int, default=4)
    p.add_argument("--skip-existing", action="store_true",
                   help="keep models whose .onnx/.npy files are already there")
    args = p.parse_args()
    names = [m for m in args.models.split(",") if m]
    for name in names:
        if name not in MODELS:
            p.error(f"unknown model '{name}' (known: {', '.join(MODELS)})")
    args.out_dir = os.path.abspath(args.out_dir)
    os.makedirs(args.out_dir, exist_ok=True)
    todo = []
    for name in names:
        files = [os.path.join(args.out_dir, f"{name}{s}") for s in (".onnx", ".input.npy", ".output.npy")]
        if args.skip_existing and all(os.path.exists(f) for f in files):
            print(f"{name}: already exported")
        else:
            todo.append(name)
    if not todo:
        return 0
    enter_venv(os.path.abspath(args.venv or "build/venv-yolo"), not args.no_install)
    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    for name in todo:
        export(name, args.out_dir, args.seed, args.opset, args.bn_batches)
    return 0


if __name__ == "__main__":
    sys.exit(main())
