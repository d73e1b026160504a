#!/usr/bin/env bash
# Installs every system dependency of Tandem from Debian's packages.
# Non-interactive and idempotent: packages already present are skipped by apt.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config git
  libxnnpack-dev libpthreadpool-dev libcpuinfo-dev
  libclblast-dev opencl-headers opencl-clhpp-headers ocl-icd-opencl-dev pocl-opencl-icd clinfo
  libflatbuffers-dev flatbuffers-compiler
  libeigen3-dev doctest-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libbenchmark-dev libcli11-dev nlohmann-json3-dev
  python3-onnx python3-numpy python3-torchvision
  python3-venv python3-yaml python3-pil python3-psutil python3-requests  # ultralytics (bench/models/export_yolo.py, --no-deps venv)
  python3-dev pybind11-dev python3-pybind11  # the Python module (python/, TANDEM_PYTHON)
  clang libclang-rt-14-dev time
  g++-aarch64-linux-gnu qemu-user-static  # NEON kernels: cross build + emulated tests
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages already installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
