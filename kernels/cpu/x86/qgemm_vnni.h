// Own int8 GEMM on AVX-512 VNNI (vpdpbusd) for 1x1 stride-1 QConv: C[P, M] =
// requantize(A[P, K] x W[M, K]^T), A and C int8 NHWC rows. The arithmetic is the
// reference's (docs/int8.md), so results are bit-identical: int32 sums exact,
// then float(acc) * multiplier, clamp, round half to even, + zero point.
#pragma once

#include <pthreadpool.h>

#include <cstdint>
#include <vector>

#include "graph/quant_math.h"

namespace tandem::cpu {

// True when this CPU has AVX-512 VNNI (and BW/VL for the epilogue).
bool qgemm_vnni_available();

// Weights packed for the kernel: per 16-column block, K/4 groups of 16 x 4 bytes;
// the activation zero point and the unsigned shift folded into the bias.
struct QGemmVnniWeights {
  int64_t k = 0, m = 0, blocks = 0;  // blocks = ceil(m / 16)
  std::vector<int8_t> packed;        // blocks * (k / 4) * 64 bytes, 64-byte aligned start
  std::vector<int32_t> bias;         // blocks * 16: B[m] - (128 + zx) * sum_k W[m][k]
  std::vector<float> multiplier;     // blocks * 16: (sx * sw[m]) / sy
  int32_t zy = 0, lo = -128, hi = 127;
  // A QAdd fused into the epilogue (ResNet's residual): c = QAdd(conv, residual) with the
  // reference's rule, residual rows of m int8 at `residual`; fa, fb, za, zb, zc as in
  // qmath::AddFactors (add.zy: the QAdd output's zero point). Null: no add.
  const int8_t* residual = nullptr;
  qmath::AddFactors add{};
};

// w: [m, k] int8 (k a multiple of 4), bias may be null.
QGemmVnniWeights qgemm_vnni_pack(const int8_t* w, int64_t m, int64_t k, const int32_t* bias,
                                 int32_t zx, const std::vector<float>& multiplier, int32_t zy,
                                 int32_t lo, int32_t hi);

// C[p, :] for p in [0, rows): a rows of `a_stride` bytes, c rows of `c_stride`.
void qgemm_vnni_run(const QGemmVnniWeights& w, const int8_t* a, int64_t a_stride, int64_t rows,
                    int8_t* c, int64_t c_stride, pthreadpool_t pool, uint32_t pool_flags);

// A dense conv as the same GEMM over patches: each task gathers kPatchRows
// output pixels' kh*kw*cp inputs on its stack (cp = C rounded up to 4, the extra
// channels and the padding read the input zero point), then multiplies them by
// all columns.
struct QConvVnniGeometry {
  int64_t n, h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl;
  int32_t zx;
  int64_t cp() const { return (c + 3) / 4 * 4; }
};
constexpr int64_t kQConvVnniMaxDepth = 4608;  // kh*kw*cp at most (3x3 x 512)
// Weights [m, C, kh, kw] in the patch order (ky, kx, c of cp; zero for c >= C).
std::vector<int8_t> qconv_vnni_patch_weights(const int8_t* w, int64_t m, int64_t c, int64_t kh,
                                             int64_t kw);
void qconv_vnni_run(const QGemmVnniWeights& w, const QConvVnniGeometry& g, const int8_t* x,
                    int8_t* y, pthreadpool_t pool, uint32_t pool_flags);

}  // namespace tandem::cpu
