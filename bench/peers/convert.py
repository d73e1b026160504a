"""Converts one ONNX file into each runtime's format, cached under the cache folder.

ONNX Runtime and OpenVINO read the .onnx file itself. MNN: mnnconvert writes
NAME.mnn. ncnn: pnnx writes NAME.ncnn.param/.bin (fp32 weights: fp16=0; pnnx's
default stores them as fp16) with blobs in0 and out0. Tandem: `tandem convert`
writes NAME.tdm. A converted file is made again when it is older than the .onnx
file (or, for .tdm, than the tandem binary).
"""
import os
import subprocess


class ConvertError(Exception):
    pass


def stale(out, *sources):
    if not os.path.exists(out):
        return True
    return any(os.path.getmtime(out) < os.path.getmtime(s) for s in sources if os.path.exists(s))


def run_tool(cmd, cwd, what, log):
    with open(log, "w") as f:
        r = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        with open(log) as f:
            tail = [ln.strip() for ln in f if ln.strip()][-1:] or ["no output"]
        raise ConvertError(f"{what} exited {r.returncode}: {tail[0]} (log: {log})")


def to_mnn(onnx, name, cache, venv_bin):
    out = os.path.join(cache, f"{name}.mnn")
    if stale(out, onnx):
        exe = os.path.join(venv_bin, "mnnconvert")
        run_tool([exe, "-f", "ONNX", "--modelFile", os.path.abspath(onnx), "--MNNModel", out,
                  "--bizCode", "tandem"], cache, "mnnconvert", out + ".log")
        if not os.path.exists(out):
            raise ConvertError(f"mnnconvert wrote no {out} (log: {out}.log)")
    return out


def to_ncnn(onnx, name, cache, pnnx, shape):
    """pnnx writes several files next to its input: it runs on a link in cache/ncnn/."""
    folder = os.path.join(cache, "ncnn")
    os.makedirs(folder, exist_ok=True)
    param = os.path.join(folder, f"{name}.ncnn.param")
    if stale(param, onnx):
        if not pnnx:
            raise ConvertError("the pnnx binary is not in the venv's pnnx package")
        link = os.path.join(folder, f"{name}.onnx")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.abspath(onnx), link)
        run_tool([pnnx, f"{name}.onnx", f"inputshape=[{','.join(map(str, shape))}]", "fp16=0"],
                 folder, "pnnx", param + ".log")
        if not os.path.exists(param):
            raise ConvertError(f"pnnx wrote no {param} (log: {param}.log)")
    with open(param) as f:
        text = f.read()
    if " in0 " not in text or " out0" not in text:
        raise ConvertError(f"{param}: no blobs in0/out0 (a model with several inputs or outputs?)")
    return param


def to_tdm(onnx, name, cache, tandem):
    out = os.path.join(cache, f"{name}.tdm")
    if stale(out, onnx, tandem):
        run_tool([tandem, "convert", os.path.abspath(onnx), "-o", out], cache, "tandem convert",
                 out + ".log")
    return out


def prepare(peer, onnx, name, cache, ctx):
    """The model file peer's runner reads (converting it first when needed)."""
    os.makedirs(cache, exist_ok=True)
    if peer in ("ort", "openvino", "openvino-tput"):
        return onnx
    if peer == "mnn":
        return to_mnn(onnx, name, cache, ctx["venv_bin"])
    if peer == "ncnn":
        return to_ncnn(onnx, name, cache, ctx["pnnx"], ctx["shape"])
    if peer in ("tandem", "tandem-tput"):
        return to_tdm(onnx, name, cache, ctx["tandem"])
    raise ConvertError(f"unknown peer {peer}")
