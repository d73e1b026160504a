#!/usr/bin/env bash
# Executed aarch64 instructions per output element (and per multiply-add) of the NEON kernels
# on real-network shapes, counted under qemu (one instruction per translation block, every
# executed block logged). Speed under qemu means nothing; instruction counts do.
# Usage: bench/neon/neon_insn_per_output.sh [BUILD_DIR]   (after scripts/test_neon_qemu.sh)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$root/build-neon-aarch64}"
cmake --build "$build" --target neon_insn_probe >/dev/null
probe="$build/neon_insn_probe"

count() { qemu-aarch64-static -singlestep -d nochain,exec -D /dev/stderr "$probe" "$@" 2>&1 >/dev/null | grep -c '^Trace'; }

printf '%-34s %12s %10s %10s\n' shape insns insn/out insn/MAC
run() {  # label outputs macs args...
  local label=$1 outs=$2 macs=$3
  shift 3
  local full dry
  full=$(count "$@")
  dry=$(count "$@" dry)
  awk -v l="$label" -v i=$((full - dry)) -v o="$outs" -v m="$macs" \
    'BEGIN { printf "%-34s %12d %10.2f %10.3f\n", l, i, i / o, i / m }'
}
# MobileNetV2 / ResNet-50 1x1 convolutions (M = pixels) and a batch-1 FC layer.
run "gemm 196x64x384 (1x1 14x14)" $((196 * 64)) $((196 * 64 * 384)) gemm 196 64 384
run "gemm 784x32x144 (1x1 28x28)" $((784 * 32)) $((784 * 32 * 144)) gemm 784 32 144
run "gemm 49x160x960 (1x1 7x7)" $((49 * 160)) $((49 * 160 * 960)) gemm 49 160 960
run "gemm 1x1000x1280 (FC)" 1000 $((1000 * 1280)) gemm 1 1000 1280
# MobileNetV2 depthwise layers (pad 1).
run "dw 14x14x96 s1" $((14 * 14 * 96)) $((14 * 14 * 96 * 9)) dw 14 14 96 1
run "dw 28x28x144 s2" $((14 * 14 * 144)) $((14 * 14 * 144 * 9)) dw 28 28 144 2
run "dw 56x56x24 s1" $((56 * 56 * 24)) $((56 * 56 * 24 * 9)) dw 56 56 24 1
