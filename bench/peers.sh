#!/usr/bin/env bash
# Tandem next to ONNX Runtime, OpenVINO, MNN and ncnn on the same ONNX models,
# 1 and 2 threads, interleaved rounds, one process per measurement, medians
# and min-max over rounds, peak RSS; prints the ISA and the measured FMA peak.
#
#   bench/peers.sh [--models resnet50,densenet121,mobilenet_v2,googlenet,vgg19]
#                  [--threads 1,2] [--rounds 3] [--runs 20] [--warmup 3]
#                  [--peers ort,openvino,mnn,ncnn,tandem] [--tandem-spec cpu:isa=avx2]
#                  [--out build/peers-results.md] [--latest] [--help]
#
# The peers come from PyPI into build/peers-venv (made on first use with
# /usr/bin/python3 -m venv; PEERS_VENV and PEERS_PYTHON override). A peer that
# cannot be installed is skipped with a line saying why. Models missing from
# build/models are exported with bench/models/export_zoo.py. Converted files
# (.mnn, .ncnn.param/.bin, .tdm) are cached in build/peers-cache.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${PEERS_VENV:-$ROOT/build/peers-venv}
if [ ! -x "$VENV/bin/python" ]; then
  BASE=${PEERS_PYTHON:-/usr/bin/python3}
  [ -x "$BASE" ] || BASE=$(command -v python3)
  echo "peers: creating $VENV ($BASE -m venv)" >&2
  if ! "$BASE" -m venv "$VENV"; then
    echo "peers: '$BASE -m venv' failed (apt-get install python3-venv)" >&2
    exit 1
  fi
fi
exec "$VENV/bin/python" "$ROOT/bench/peers/driver.py" "$@"
