// Own exact int8 GEMM for AVX2 + FMA CPUs (no VNNI) for dense QConv: C[P, M] =
// requantize(A[P, K] x W[M, K]^T), A and C int8 NHWC rows. vpmaddubsw would
// saturate int16 with full-range weights, so the products are vpmaddwd on int16:
// activations widened to (x - zx) in [-255, 255] (padding reads zx, so it becomes 0
// and the zero point needs no bias correction), weights int16, int32 sums exact.
// The epilogue is the reference's float requantization (docs/int8.md), so results
// are bit-identical: float(acc) * multiplier, clamp, round half to even, + zero point.
#pragma once

#include <pthreadpool.h>

#include <cstdint>
#include <vector>

#include "graph/quant_math.h"

namespace tandem::cpu {

// True when this CPU has AVX2 and FMA.
bool qgemm_avx2_available();

// Weights packed for the kernel: per 8-column block, per k pair, one 32-byte vector
// (8 columns x 2 int16, k even first); K padded to even with zero weights.
struct QGemmAvx2Weights {
  int64_t k = 0, kp = 0, m = 0, blocks = 0;  // kp = k rounded up to 2, blocks = ceil(m / 8)
  std::vector<int16_t> packed;               // blocks * (kp / 2) * 16
  std::vector<int32_t> bias;                 // blocks * 8: B[m]
  std::vector<float> multiplier;             // blocks * 8: (sx * sw[m]) / sy
  int32_t zx = 0, zy = 0, lo = -128, hi = 127;
  // A QAdd fused into the epilogue, as QGemmVnniWeights: c = QAdd(conv, residual),
  // residual rows of m int8. Null: no add.
  const int8_t* residual = nullptr;
  qmath::AddFactors add{};  // the QAdd's factors and zero points (add.zy: its output's)
  // Where weight (col, kk) of packed matrix `matrix` goes (the Winograd packs 16 matrices).
  size_t index(int64_t matrix, int64_t col, int64_t kk) const {
    return size_t(((matrix * blocks + col / 8) * (kp / 2) + kk / 2) * 16 + col % 8 * 2 + kk % 2);
  }
};

// The fields, bias and multipliers of `matrices` packed GEMMs of m x k, packed zeroed.
QGemmAvx2Weights qgemm_avx2_layout(int64_t m, int64_t k, int64_t matrices, const int32_t* bias,
                                   int32_t zx, const std::vector<float>& multiplier, int32_t zy,
                                   int32_t lo, int32_t hi);

// w: [m, k] int8, bias may be null.
QGemmAvx2Weights qgemm_avx2_pack(const int8_t* w, int64_t m, int64_t k, const int32_t* bias,
                                 int32_t zx, const std::vector<float>& multiplier, int32_t zy,
                                 int32_t lo, int32_t hi);

// The largest k the 1x1 path takes (a task still widens 18 rows of A to int16).
constexpr int64_t kQGemmAvx2MaxK = 16384;

// C[p, :] for p in [0, rows): a rows of `a_stride` bytes (k used), c rows of `c_stride`.
// Each task widens a block of rows to int16 once and multiplies it by a group of columns.
void qgemm_avx2_run(const QGemmAvx2Weights& w, const int8_t* a, int64_t a_stride, int64_t rows,
                    int8_t* c, int64_t c_stride, pthreadpool_t pool, uint32_t pool_flags);

// A dense conv as the same GEMM over patches: each task gathers a block of output
// pixels' inputs as int16 (x - zx) in a thread-local buffer, then multiplies them by a group of
// columns. A patch is kh rows of kw*C inputs (kx, c), each rounded up to even length
// (one 0 for odd kw*C), so a row inside the input is one contiguous run (stems:
// 7 x 3 = 21 bytes, not 7 taps of 3) and odd C costs one element per row, not per tap.
struct QConvAvx2Geometry {
  int64_t n, h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl;
  int64_t row() const { return (kw * c + 1) / 2 * 2; }  // a patch row's length
  int64_t depth() const { return kh * row(); }
};
constexpr int64_t kQConvAvx2MaxDepth = 4608;  // depth() at most (3x3 x 512)
// Weights [m, C, kh, kw] in the patch order (ky, then kx, c, zero-padded per row).
std::vector<int8_t> qconv_avx2_patch_weights(const int8_t* w, int64_t m, int64_t c, int64_t kh,
                                             int64_t kw);
void qconv_avx2_run(const QGemmAvx2Weights& w, const QConvAvx2Geometry& g, const int8_t* x,
                    int8_t* y, pthreadpool_t pool, uint32_t pool_flags);

}  // namespace tandem::cpu
