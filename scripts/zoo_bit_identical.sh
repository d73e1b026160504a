#!/usr/bin/env bash
# Checks that two tandem builds give bit-identical outputs on ONNX models:
# each build converts the model, both runs of each processor spec must match
# byte for byte, and the new build must also load and reproduce the .tdm the
# old build wrote (the file format stays readable).
#   scripts/zoo_bit_identical.sh OLD_TANDEM NEW_TANDEM DIR MODEL... [-- SPEC...]
# DIR holds MODEL.onnx and MODEL.input.npy; specs default to
# reference, cpu:threads=1, cpu:threads=2.
set -euo pipefail
old=$1 new=$2 dir=$3
shift 3
models=() specs=()
while (($#)); do
  [[ $1 == -- ]] && { shift; specs=("$@"); break; }
  models+=("$1"); shift
done
((${#specs[@]})) || specs=(reference cpu:threads=1 cpu:threads=2)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
for m in "${models[@]}"; do
  "$old" convert "$dir/$m.onnx" -o "$work/$m.old.tdm" > /dev/null
  "$new" convert "$dir/$m.onnx" -o "$work/$m.new.tdm" > /dev/null
  for s in "${specs[@]}"; do
    tag=${s//[:=,]/_}
    "$old" run "$work/$m.old.tdm" --input "$dir/$m.input.npy" --output "$work/a.npy" --processor "$s" > /dev/null
    "$new" run "$work/$m.new.tdm" --input "$dir/$m.input.npy" --output "$work/b.npy" --processor "$s" > /dev/null
    "$new" run "$work/$m.old.tdm" --input "$dir/$m.input.npy" --output "$work/c.npy" --processor "$s" > /dev/null
    if cmp -s "$work/a.npy" "$work/b.npy" && cmp -s "$work/a.npy" "$work/c.npy"; then
      echo "identical  $m $s"
    else
      echo "DIFFERENT  $m $s"; fail=1
    fi
  done
done
exit $fail
