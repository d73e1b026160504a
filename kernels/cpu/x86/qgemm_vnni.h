// Own int8 GEMM on AVX-512 VNNI (vpdpbusd) for 1x1 stride-1 QConv: C[P, M] =
// requantize(A[P, K] x W[M, K]^T), A and C int8 NHWC rows. The arithmetic is the
// reference's (docs/int8.md), so results are bit-identical: int32 sums exact,
// then float(acc) * multiplier, clamp, round half to even, + zero point.
#pragma once

#include <pthreadpool.h>

#include <cstdint>
#include <vector>

#include "graph/quant_math.h"
#include "kernels/cpu/x86/aligned_vector.h"

namespace tandem::cpu {

// True when this CPU has AVX-512 VNNI (and BW/VL for the epilogue).
bool qgemm_vnni_available();

// Weights packed for the kernel: per 16-column block, K/4 groups of 16 x 4 bytes;
// the activation zero point and the unsigned shift folded into the bias.
struct QGemmVnniWeights {
  int64_t k = 0, m = 0, blocks = 0;  // blocks = ceil(m / 16)
  AlignedVector<int8_t> packed;      // blocks * (k / 4) * 64 bytes, 64-byte aligned start
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
// output pixels' inputs on its stack (the input zero point where the window leaves
// the input), then multiplies them by all columns. A patch is kh rows of kw*C
// inputs (kx, c), each rounded up to a multiple of 4 (the group one vpdpbusd
// sums), so a row inside the input is one contiguous copy (a stem's 7 x 3 = 21
// bytes in 24, not 7 taps of 3 bytes in 4 each: 14% less to multiply).
struct QConvVnniGeometry {
  int64_t n, h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl;
  int32_t zx;
  int64_t row() const { return (kw * c + 3) / 4 * 4; }  // a patch row's length
  int64_t depth() const { return kh * row(); }
};
constexpr int64_t kQConvVnniMaxDepth = 4608;  // depth() at most (3x3 x 512)
// Weights [m, C, kh, kw] in the patch order (ky, then kx, c; zero where a row is padded).
std::vector<int8_t> qconv_vnni_patch_weights(const int8_t* w, int64_t m, int64_t c, int64_t kh,
                                             int64_t kw);
void qconv_vnni_run(const QGemmVnniWeights& w, const QConvVnniGeometry& g, const int8_t* x,
                    int8_t* y, pthreadpool_t pool, uint32_t pool_flags);

}  // namespace tandem::cpu
