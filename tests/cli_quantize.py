"""CLI check of `tandem quantize`: quantize tiny.tdm with --random 4, check that
`tandem info` lists a QConv, then `tandem run` the int8 model on the reference
and cpu processors (an input .npy written here without numpy); their outputs
must agree within 1e-4."""
import math
import struct
import subprocess
import sys

tandem, data, work = sys.argv[1], sys.argv[2], sys.argv[3]
out = work + "/tiny.int8.tdm"


def run(*args):
    r = subprocess.run([tandem, *args], capture_output=True, text=True)
    print(" ".join(args), "->", r.returncode, "\n", r.stdout, r.stderr)
    if r.returncode != 0:
        sys.exit(1)
    return r.stdout


def write_npy(path, shape):
    n = math.prod(shape)
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
        ", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % n, *[math.sin(0.37 * i) for i in range(n)]))


report = run("quantize", data + "/tiny.tdm", "-o", out, "--random", "4")
if "cosine" not in report:
    sys.exit("no error report")
# One row per layer, the int8 conv's output (an int8 tensor, dequantized) included.
if "conv_out" not in report:
    sys.exit("the error report has no row for the quantized conv's output:\n" + report)
if "QConv" not in run("info", out):
    sys.exit("no QConv in the quantized model")
write_npy(work + "/x.npy", (1, 3, 8, 8))
for p in ("reference", "cpu"):
    run("run", out, "-i", work + "/x.npy", "-o", work + "/y_%s.npy" % p, "-p", p)
# The int8 QConv is bit-exact cpu vs reference (docs/int8.md); the float ops
# after it (BatchNormalization, Gemm, Softmax) round differently, so a tolerance.
def read_npy(path):
    b = open(path, "rb").read()
    off = 10 + struct.unpack("<H", b[8:10])[0]
    return struct.unpack("<%df" % ((len(b) - off) // 4), b[off:])


ref, cpu = (read_npy(work + "/y_%s.npy" % p) for p in ("reference", "cpu"))
worst = max(abs(a - b) for a, b in zip(ref, cpu))
print("max |cpu - reference| =", worst)
if len(ref) != 10 or worst > 1e-4:
    sys.exit("cpu and reference outputs differ by more than 1e-4")
# The percentile calibrator quantizes the same model; an unknown calibrator is refused.
report = run("quantize", data + "/tiny.tdm", "-o", work + "/tiny.pct.int8.tdm", "--random", "4",
             "--calibrator", "percentile", "--percentile", "99.9")
if "(percentile)" not in report or "QConv" not in run("info", work + "/tiny.pct.int8.tdm"):
    sys.exit("percentile calibrator: no quantized model")
bad = subprocess.run([tandem, "quantize", data + "/tiny.tdm", "-o", work + "/bad.tdm", "--random",
                      "2", "--calibrator", "entropy"], capture_output=True, text=True)
if bad.returncode == 0 or "calibrator" not in bad.stderr + bad.stdout:
    sys.exit("--calibrator entropy was not refused by name")
print("ok")
