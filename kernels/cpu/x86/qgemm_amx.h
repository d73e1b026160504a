// Own int8 GEMM on Intel AMX (TDPBSSD on 16x64-byte tiles: Sapphire Rapids and later
// Xeons) for the dense QConvs the VNNI GEMM takes: 1x1 stride-1 convs over the NHWC
// pixels and other convs over gathered patches. The same arithmetic as the VNNI GEMM
// (x86/qgemm_vnni.h) and the reference (docs/int8.md): exact int32 sums of signed
// x * w, the zero point folded into the bias, then the same requantizing epilogue, so
// results are bit-identical.
#pragma once

#include <pthreadpool.h>

#include <cstdint>
#include <vector>

#include "kernels/cpu/x86/qgemm_vnni.h"

namespace tandem::cpu {

// True when this CPU has AMX-TILE and AMX-INT8, AVX-512 VNNI for the epilogue, and
// the kernel grants this process the tile state (Linux arch_prctl, asked once).
bool qgemm_amx_available();

// The VNNI layout (per 16-column block, k/4 groups of 16 x 4 bytes) with k padded to
// a multiple of 64 (one tile row) by zero weights; k_in: the depth of A's rows.
struct QGemmAmxWeights : QGemmVnniWeights {
  int64_t k_in = 0;
};

// w: [m, k] int8, bias may be null; the bias holds B[m] - zx * sum_k W[m][k].
QGemmAmxWeights qgemm_amx_pack(const int8_t* w, int64_t m, int64_t k, const int32_t* bias,
                               int32_t zx, const std::vector<float>& multiplier, int32_t zy,
                               int32_t lo, int32_t hi);

// C[p, :] for p in [0, rows): a rows of `a_stride` bytes (k_in used), c rows of `c_stride`.
void qgemm_amx_run(const QGemmAmxWeights& w, const int8_t* a, int64_t a_stride, int64_t rows,
                   int8_t* c, int64_t c_stride, pthreadpool_t pool, uint32_t pool_flags);

// A dense conv over patches as the VNNI GEMM gathers them (w packed from
// qconv_vnni_patch_weights, k_in = g.depth()); y rows of w.m.
void qconv_amx_run(const QGemmAmxWeights& w, const QConvVnniGeometry& g, const int8_t* x, int8_t* y,
                   pthreadpool_t pool, uint32_t pool_flags);

}  // namespace tandem::cpu
