// Own exact int8 Winograd F(2x2, 3x3) for AVX2 + FMA CPUs without VNNI: 3x3
// stride-1 undilated dense QConvs, the ones where the direct int16 GEMM
// (x86/qgemm_avx2.h) loses to fp32 Winograd F(4,3).
//
// Exact in integers, so bit-identical to the reference: the input tile
// d = x - zx (0 where the window leaves the input, |d| <= 255) becomes
// B^T d B (entries of B are 0 and +-1: |V| <= 1020, int16), the weights
// (2G) g (2G)^T = 4 G g G^T (integers, |U| <= 9 * 127 = 1143, int16), their products
// summed over C by vpmaddwd (the 16 tile positions are 16 GEMMs of the AVX2 GEMM's
// layout) and A^T M A = 4 * conv in int32. The sums may wrap, but the arithmetic is
// exact modulo 2^32 and |4 * conv| <= 4 * 9 * C * 255 * 127 < 2^31 for C up to
// kQWinogradAvx2MaxC, so the int32 result is 4 * conv exactly; >> 2 gives conv. The
// epilogue (bias, requantization, a fused QAdd) is the GEMM's.
#pragma once

#include <pthreadpool.h>

#include <cstdint>
#include <vector>

#include "kernels/cpu/x86/qgemm_avx2.h"

namespace tandem::cpu {

struct QWinogradAvx2Geometry {
  int64_t n, h, w, c, oh, ow, pt, pl;  // NHWC input, output size, leading pads
  int64_t tiles_h() const { return (oh + 1) / 2; }
  int64_t tiles_w() const { return (ow + 1) / 2; }
  int64_t tiles() const { return n * tiles_h() * tiles_w(); }
};

// The deepest input the int32 sums hold exactly (see above: C < 1842).
constexpr int64_t kQWinogradAvx2MaxC = 1024;

// Weights [m, C, 3, 3] transformed and packed as 16 position-major GEMMs of
// QGemmAvx2Weights' layout (k = C); bias, multipliers and clamp as qgemm_avx2_pack.
QGemmAvx2Weights qwinograd_avx2_pack(const int8_t* w, int64_t m, int64_t c, const int32_t* bias,
                                     int32_t zx, const std::vector<float>& multiplier, int32_t zy,
                                     int32_t lo, int32_t hi);

// y [n, oh, ow, m] int8 NHWC from x [n, h, w, c] int8 NHWC; w.residual (rows of m,
// one per output pixel) is added in the epilogue when set.
void qwinograd_avx2_run(const QGemmAvx2Weights& w, const QWinogradAvx2Geometry& g, const int8_t* x,
                        int8_t* y, pthreadpool_t pool, uint32_t pool_flags);

}  // namespace tandem::cpu
