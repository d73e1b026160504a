#!/usr/bin/env bash
# Reference model zoo, end to end: export (PyTorch, random weights, BN
# re-estimated) -> tandem convert -> tandem run --processor reference ->
# compare with PyTorch's output (relative error <= 1e-4, same argmax), and with
# ONNX Runtime's NAME.ort.output.npy where ort_reference.py made one.
# YOLO models (yolov8n, yolov8_tiny) come from export_yolo.py (ultralytics in a
# venv it makes) and are also checked per part: boxes and class scores.
#
# usage: bench/models/zoo_accuracy.sh [--build DIR] [--models-dir DIR] [--processor P] [--tol T] [MODEL...]
# default models: the zoo (vgg19 densenet121 resnet152 resnet50 resnet18 mobilenet_v2 squeezenet1_1)
# exit 77 (skip) when only YOLO models were asked for and their venv cannot be made
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/build"
models_dir=""
processor="reference"
tol=1e-4
models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --models-dir) models_dir="$2"; shift 2 ;;
    --processor) processor="$2"; shift 2 ;;
    --tol) tol="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) models+=("$1"); shift ;;
  esac
done
[ -n "$models_dir" ] || models_dir="$build/models"
[ ${#models[@]} -gt 0 ] || models=(vgg19 densenet121 resnet152 resnet50 resnet18 mobilenet_v2 squeezenet1_1)
tandem="$build/tandem"
python=/usr/bin/python3  # Debian's Python has torch, torchvision and onnx

if [ ! -x "$tandem" ]; then
  echo "zoo_accuracy: $tandem not found; build it first (cmake --build $build --target tandem_cli)" >&2
  exit 2
fi
mkdir -p "$models_dir"
is_yolo() { case "$1" in yolov8*) return 0 ;; *) return 1 ;; esac; }
zoo=(); yolo=()
for m in "${models[@]}"; do if is_yolo "$m"; then yolo+=("$m"); else zoo+=("$m"); fi; done
if [ ${#zoo[@]} -gt 0 ]; then
  list=$(IFS=,; echo "${zoo[*]}")
  "$python" "$here/export_zoo.py" "$models_dir" --models "$list" --skip-existing || exit 2
fi
if [ ${#yolo[@]} -gt 0 ]; then
  list=$(IFS=,; echo "${yolo[*]}")
  "$python" "$here/export_yolo.py" "$models_dir" --models "$list" --skip-existing \
    --venv "$build/venv-yolo"
  rc=$?
  if [ $rc -eq 3 ] && [ ${#zoo[@]} -eq 0 ]; then
    echo "SKIPPED: no ultralytics venv at $build/venv-yolo (see the export_yolo message above)"
    exit 77
  elif [ $rc -eq 3 ]; then
    echo "zoo_accuracy: skipping ${yolo[*]}: no ultralytics venv" >&2
    models=("${zoo[@]}")
  elif [ $rc -ne 0 ]; then
    exit 2
  fi
fi

failed=()
results=()
for m in "${models[@]}"; do
  onnx="$models_dir/$m.onnx"
  tdm="$models_dir/$m.tdm"
  out="$models_dir/$m.tandem_${processor//[:=,]/_}.npy"  # no "=": --output reads NAME=PATH
  rm -f "$tdm" "$out"
  if ! "$tandem" convert "$onnx" -o "$tdm" > "$models_dir/$m.convert.log" 2>&1; then
    cat "$models_dir/$m.convert.log" >&2
    results+=("$m: FAIL convert"); failed+=("$m"); continue
  fi
  start=$(date +%s%N)
  if ! "$tandem" run "$tdm" --input "$models_dir/$m.input.npy" --output "$out" --processor "$processor" \
      > "$models_dir/$m.run.log" 2>&1; then
    cat "$models_dir/$m.run.log" >&2
    results+=("$m: FAIL run"); failed+=("$m"); continue
  fi
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  parts=()
  is_yolo "$m" && parts=(--parts 4)  # 4 box rows, then class scores
  line=$("$python" "$here/compare.py" "$out" "$models_dir/$m.output.npy" --name "$m" --tol "$tol" "${parts[@]}")
  rc=$?
  # The second reference (ort_reference.py), where it was made: the same tolerance.
  ort_ref="$models_dir/$m.ort.output.npy"
  if [ -f "$ort_ref" ]; then
    ort_line=$("$python" "$here/compare.py" "$out" "$ort_ref" --name "vs ONNX Runtime" --tol "$tol" \
      "${parts[@]}")
    ort_rc=$?
    line="$line; $ort_line"
    [ $ort_rc -eq 0 ] || rc=1
  fi
  results+=("$line (run $ms ms)")
  [ $rc -eq 0 ] || failed+=("$m")
done

echo "== zoo accuracy ($processor processor, tolerance $tol relative)"
printf '%s\n' "${results[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all ${#models[@]} models match PyTorch"
