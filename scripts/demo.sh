#!/usr/bin/env bash
# The main job: set up, build, export a real model (torchvision, random
# weights), convert it, plan it across both CPU cores, run it pipelined and
# print FPS next to the best single-processor configuration.
#   Usage: scripts/demo.sh [MODEL]   (default googlenet; any name export_zoo.py knows)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-googlenet}
bash scripts/setup.sh
bash scripts/build.sh
mkdir -p build/models
if [ ! -f "build/models/$model.onnx" ]; then
  /usr/bin/python3 bench/models/export_zoo.py --models "$model" --out build/models
fi
./build/tandem convert "build/models/$model.onnx" -o "build/models/$model.tdm"
procs=cpu:cores=0,cpu:cores=1
./build/tandem plan "build/models/$model.tdm" --processors "$procs" --save
./build/tandem run "build/models/$model.tdm" --processors "$procs" --plan auto \
  --input "build/models/$model.input.npy" --output "build/models/$model.tandem.npy"
./build/tandem bench "build/models/$model.tdm" --processors "$procs" --plan auto --compare --frames 200
