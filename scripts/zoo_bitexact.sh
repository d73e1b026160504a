#!/usr/bin/env bash
# Bit-identity check for restructurings: runs every zoo model on each processor
# and saves the raw outputs (save), or runs them again and compares byte for
# byte against a saved set (compare).
#
# usage: scripts/zoo_bitexact.sh save|compare DIR [--build B] [--models-dir M]
#          [--processors "reference cpu:threads=1 cpu:threads=2"] [MODEL...]
# Models come from bench/models/export_zoo.py (M/NAME.onnx + NAME.input.npy);
# missing ones are exported. Outputs of the cpu processor depend on the ISA the
# kernels ran on, so DIR records the machine's ISA and compare refuses another.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
mode="${1:-}"
dir="${2:-}"
if [ "$mode" != save ] && [ "$mode" != compare ] || [ -z "$dir" ]; then
  sed -n '2,10p' "$0"
  exit 2
fi
shift 2
build="$root/build"
models_dir="$root/build/models"
processors="reference cpu:threads=1 cpu:threads=2"
models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --models-dir) models_dir="$2"; shift 2 ;;
    --processors) processors="$2"; shift 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
[ ${#models[@]} -gt 0 ] || models=(vgg19 densenet121 resnet152 resnet50 resnet18 mobilenet_v2
  squeezenet1_1 googlenet shufflenet_v2_x1_0 mobilenet_v3_large efficientnet_b0 mnasnet1_0)
tandem="$build/tandem"
[ -x "$tandem" ] || { echo "zoo_bitexact: $tandem not found; build first" >&2; exit 2; }

isa=generic
grep -q avx2 /proc/cpuinfo && isa=avx2
grep -q avx512f /proc/cpuinfo && isa=avx512
list=$(IFS=,; echo "${models[*]}")
/usr/bin/python3 "$root/bench/models/export_zoo.py" "$models_dir" --models "$list" \
  --skip-existing > /dev/null || { echo "zoo_bitexact: export failed" >&2; exit 2; }

out="$dir"
if [ "$mode" = compare ]; then
  [ -f "$dir/isa.txt" ] || { echo "zoo_bitexact: $dir has no saved outputs" >&2; exit 2; }
  saved_isa=$(cat "$dir/isa.txt")
  if [ "$saved_isa" != "$isa" ]; then
    echo "zoo_bitexact: outputs saved on $saved_isa, this machine is $isa: not comparable" >&2
    exit 2
  fi
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
echo "$isa" > "$out/isa.txt"

passed=0
failed=0
for m in "${models[@]}"; do
  tdm="$out/$m.tdm"
  if ! "$tandem" convert "$models_dir/$m.onnx" -o "$tdm" > "$out/$m.convert.log" 2>&1; then
    echo "FAIL $m: convert ($(tail -1 "$out/$m.convert.log"))"
    failed=$((failed + 1))
    continue
  fi
  for p in $processors; do
    name="$m.${p//[:=,]/_}.npy"
    if ! "$tandem" run "$tdm" --input "$models_dir/$m.input.npy" --output "$out/$name" \
        --processor "$p" > "$out/$m.run.log" 2>&1; then
      echo "FAIL $m on $p: run ($(tail -1 "$out/$m.run.log"))"
      failed=$((failed + 1))
      continue
    fi
    if [ "$mode" = compare ]; then
      if cmp -s "$out/$name" "$dir/$name"; then
        passed=$((passed + 1))
      else
        echo "FAIL $m on $p: output differs from $dir/$name"
        failed=$((failed + 1))
      fi
    else
      passed=$((passed + 1))
    fi
  done
  rm -f "$tdm"
done
echo "zoo_bitexact ($mode, $isa): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
