// int8 GEMM for aarch64 on SDOT (ARMv8.2 dot product): 4 rows x 16 columns of int32
// accumulators (16 of the 32 vector registers), each k-group of 4 one SDOT per 4 columns
// against the row's 4 bytes broadcast; the sums start at the folded bias. Epilogue: the
// reference's float requantization (vcvtnq rounds half to even), saturating narrows.
#include <arm_neon.h>
#include <sys/auxv.h>

#include <cstring>

#include "kernels/cpu/neon/neon_kernels.h"

#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif

#pragma GCC target("arch=armv8.2-a+dotprod")

namespace tandem::neon {

bool qgemm_s8_neon_available() {
  static const bool ok = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
  return ok;
}

namespace {

// Row bytes [4q, 4q + 4) broadcast to every 32-bit lane; past k (the tail group) zeros,
// so no byte after the row is read.
inline int8x16_t group(const int8_t* row, int q, int k) {
  int32_t v = 0;
  if (4 * q + 4 <= k) {
    std::memcpy(&v, row + 4 * q, 4);
  } else {
    int8_t b[4] = {0, 0, 0, 0};
    for (int i = 0; 4 * q + i < k; ++i) b[i] = row[4 * q + i];
    std::memcpy(&v, b, 4);
  }
  return vreinterpretq_s8_s32(vdupq_n_s32(v));
}

// 16 sums requantized to int8, the first `cols` stored.
inline void store16(const int32x4_t* acc, const float* mult, const QGemmS8Epilogue& e, int8_t* c,
                    int cols) {
  const float32x4_t lo = vdupq_n_f32(float(e.lo - e.zy)), hi = vdupq_n_f32(float(e.hi - e.zy));
  const int32x4_t zy = vdupq_n_s32(e.zy);
  int16x4_t h[4];
  for (int v = 0; v < 4; ++v) {
    float32x4_t f = vmulq_f32(vcvtq_f32_s32(acc[v]), vld1q_f32(mult + 4 * v));
    f = vminq_f32(vmaxq_f32(f, lo), hi);
    h[v] = vqmovn_s32(vaddq_s32(vcvtnq_s32_f32(f), zy));
  }
  const int8x16_t out =
      vcombine_s8(vqmovn_s16(vcombine_s16(h[0], h[1])), vqmovn_s16(vcombine_s16(h[2], h[3])));
  if (cols == kQGemmNr) {
    vst1q_s8(c, out);
  } else {
    int8_t buf[16];
    vst1q_s8(buf, out);
    std::memcpy(c, buf, static_cast<size_t>(cols));
  }
}

// MR rows of A from a by the 16 columns of one panel (cols of them stored).
template <int MR>
void tile(int k, const int8_t* a, int lda, const int8_t* panel, int8_t* c, int ldc, int cols,
          const int32_t* bias, const float* mult, const QGemmS8Epilogue& e) {
  int32x4_t acc[MR][4];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < 4; ++v) acc[r][v] = vld1q_s32(bias + 4 * v);
  const int k4 = (k + 3) / 4;
  for (int q = 0; q < k4; ++q) {
    const int8_t* bp = panel + static_cast<size_t>(q) * kQGemmNr * 4;
    const int8x16_t b0 = vld1q_s8(bp), b1 = vld1q_s8(bp + 16);
    const int8x16_t b2 = vld1q_s8(bp + 32), b3 = vld1q_s8(bp + 48);
    for (int r = 0; r < MR; ++r) {
      const int8x16_t av = group(a + static_cast<size_t>(r) * lda, q, k);
      acc[r][0] = vdotq_s32(acc[r][0], b0, av);
      acc[r][1] = vdotq_s32(acc[r][1], b1, av);
      acc[r][2] = vdotq_s32(acc[r][2], b2, av);
      acc[r][3] = vdotq_s32(acc[r][3], b3, av);
    }
  }
  for (int r = 0; r < MR; ++r) store16(acc[r], mult, e, c + static_cast<size_t>(r) * ldc, cols);
}

}  // namespace

void qgemm_s8_neon(int m, int n, int k, const int8_t* a, int lda, const int8_t* packed, int8_t* c,
                   int ldc, const QGemmS8Epilogue& e) {
  const int k4 = (k + 3) / 4;
  for (int j = 0; j < n; j += kQGemmNr) {
    const int8_t* panel = packed + static_cast<size_t>(j / kQGemmNr) * k4 * kQGemmNr * 4;
    const int cols = n - j < kQGemmNr ? n - j : kQGemmNr;
    const int32_t* bias = e.bias + j;
    const float* mult = e.multiplier + j;
    int i = 0;
    for (; i + kQGemmMr <= m; i += kQGemmMr)
      tile<kQGemmMr>(k, a + static_cast<size_t>(i) * lda, lda, panel,
                     c + static_cast<size_t>(i) * ldc + j, ldc, cols, bias, mult, e);
    const int8_t* ar = a + static_cast<size_t>(i) * lda;
    int8_t* cr = c + static_cast<size_t>(i) * ldc + j;
    switch (m - i) {
      case 3:
        tile<3>(k, ar, lda, panel, cr, ldc, cols, bias, mult, e);
        break;
      case 2:
        tile<2>(k, ar, lda, panel, cr, ldc, cols, bias, mult, e);
        break;
      case 1:
        tile<1>(k, ar, lda, panel, cr, ldc, cols, bias, mult, e);
        break;
      default:
        break;
    }
  }
}

}  // namespace tandem::neon
