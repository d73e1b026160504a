// f32 GEMM for aarch64: packed A and B, 8x8 register tile of vfmaq_laneq_f32, K and M
// blocked for L1/L2 (kGemmKc, kGemmMc). Tile choice and cache blocking: docs/neon.md.
#include <arm_neon.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/cpu/neon/neon_kernels.h"

namespace tandem::neon {

namespace {

// Packed A tile of mr rows: kc steps of a_stride(mr) floats; one row needs no padding.
constexpr int a_stride(int mr) {
  return mr == 1 ? 1 : (mr <= 4 ? 4 : 8);
}

// Transposes a 4x4 block: rows r0..r3 (4 k-values each) into 4 k-columns of 4 rows.
inline void transpose4(float32x4_t r0, float32x4_t r1, float32x4_t r2, float32x4_t r3,
                       float32x4_t (&col)[4]) {
  const float64x2_t t0 = vreinterpretq_f64_f32(vtrn1q_f32(r0, r1));
  const float64x2_t t1 = vreinterpretq_f64_f32(vtrn2q_f32(r0, r1));
  const float64x2_t t2 = vreinterpretq_f64_f32(vtrn1q_f32(r2, r3));
  const float64x2_t t3 = vreinterpretq_f64_f32(vtrn2q_f32(r2, r3));
  col[0] = vreinterpretq_f32_f64(vtrn1q_f64(t0, t2));
  col[1] = vreinterpretq_f32_f64(vtrn1q_f64(t1, t3));
  col[2] = vreinterpretq_f32_f64(vtrn2q_f64(t0, t2));
  col[3] = vreinterpretq_f32_f64(vtrn2q_f64(t1, t3));
}

// Packs rows [0, mc) x columns [0, kc) of A into tiles of kGemmMr rows, tile t at t*kc*8.
// Tiles of 4 or 8 rows transpose 4x4 blocks in registers (packing was ~16% of a 1x1 conv's
// instructions when done element by element); other tiles and the k tail go one by one.
void pack_a(int mc, int kc, const float* a, int lda, float* out) {
  for (int t0 = 0; t0 < mc; t0 += kGemmMr) {
    const int mr = std::min(kGemmMr, mc - t0);
    const int s = a_stride(mr);
    float* tile = out + static_cast<size_t>(t0) * kc;
    const float* rows = a + static_cast<size_t>(t0) * lda;
    int kk = 0;
    if (mr == 4 || mr == 8) {
      for (; kk + 4 <= kc; kk += 4) {
        for (int h = 0; h < mr; h += 4) {
          const float* r = rows + static_cast<size_t>(h) * lda + kk;
          float32x4_t col[4];
          transpose4(vld1q_f32(r), vld1q_f32(r + lda), vld1q_f32(r + 2 * static_cast<size_t>(lda)),
                     vld1q_f32(r + 3 * static_cast<size_t>(lda)), col);
          for (int j = 0; j < 4; ++j) vst1q_f32(tile + (kk + j) * s + h, col[j]);
        }
      }
    }
    for (; kk < kc; ++kk) {
      for (int i = 0; i < mr; ++i) tile[kk * s + i] = rows[static_cast<size_t>(i) * lda + kk];
      for (int i = mr; i < s; ++i) tile[kk * s + i] = 0.0f;
    }
  }
}

template <typename F, size_t... I>
inline void for_rows_impl(F&& f, std::index_sequence<I...>) {
  (f(std::integral_constant<size_t, I>{}), ...);
}
// Calls f(integral_constant<i>) for i in [0, MR).
template <int MR, typename F>
inline void for_rows(F&& f) {
  for_rows_impl(f, std::make_index_sequence<MR>{});
}

template <int I>
inline float32x4_t fma_lane(float32x4_t acc, float32x4_t b, float32x4_t a0, float32x4_t a1) {
  if constexpr (I < 4) {
    return vfmaq_laneq_f32(acc, b, a0, I);
  } else {
    return vfmaq_laneq_f32(acc, b, a1, I - 4);
  }
}

template <int MR, size_t... I>
inline void fma_rows(float32x4_t (&acc)[MR][2], float32x4_t b0, float32x4_t b1, float32x4_t a0,
                     float32x4_t a1, std::index_sequence<I...>) {
  ((acc[I][0] = fma_lane<I>(acc[I][0], b0, a0, a1), acc[I][1] = fma_lane<I>(acc[I][1], b1, a0, a1)),
   ...);
}

// MR x 8 tile over kc steps: starts from bias (first K block) or C, clamps on the last.
// bias8 is 8 floats or nullptr; c has 8 valid columns per row.
template <int MR>
void ukernel(int kc, const float* a, const float* b, float* c, int ldc, bool first,
             const float* bias8, bool last, float lo, float hi) {
  float32x4_t acc[MR][2];
  // Rows are visited with constant indices only: a runtime index makes GCC keep acc in memory.
  for_rows<MR>([&](auto i) {
    if (!first) {
      acc[i][0] = vld1q_f32(c + static_cast<size_t>(i) * ldc);
      acc[i][1] = vld1q_f32(c + static_cast<size_t>(i) * ldc + 4);
    } else if (bias8) {
      acc[i][0] = vld1q_f32(bias8);
      acc[i][1] = vld1q_f32(bias8 + 4);
    } else {
      acc[i][0] = acc[i][1] = vdupq_n_f32(0.0f);
    }
  });
  if constexpr (MR == 1) {
    // One row is a GEMV: four k-steps per A load, four accumulator pairs to hide FMA latency.
    float32x4_t p0 = acc[0][0], p1 = acc[0][1];
    float32x4_t q0 = vdupq_n_f32(0.0f), q1 = q0, r0 = q0, r1 = q0, s0 = q0, s1 = q0;
    int kk = 0;
    for (; kk + 4 <= kc; kk += 4, a += 4, b += 32) {
      const float32x4_t av = vld1q_f32(a);
      p0 = vfmaq_laneq_f32(p0, vld1q_f32(b), av, 0);
      p1 = vfmaq_laneq_f32(p1, vld1q_f32(b + 4), av, 0);
      q0 = vfmaq_laneq_f32(q0, vld1q_f32(b + 8), av, 1);
      q1 = vfmaq_laneq_f32(q1, vld1q_f32(b + 12), av, 1);
      r0 = vfmaq_laneq_f32(r0, vld1q_f32(b + 16), av, 2);
      r1 = vfmaq_laneq_f32(r1, vld1q_f32(b + 20), av, 2);
      s0 = vfmaq_laneq_f32(s0, vld1q_f32(b + 24), av, 3);
      s1 = vfmaq_laneq_f32(s1, vld1q_f32(b + 28), av, 3);
    }
    for (; kk < kc; ++kk, ++a, b += 8) {
      p0 = vfmaq_n_f32(p0, vld1q_f32(b), *a);
      p1 = vfmaq_n_f32(p1, vld1q_f32(b + 4), *a);
    }
    acc[0][0] = vaddq_f32(vaddq_f32(p0, q0), vaddq_f32(r0, s0));
    acc[0][1] = vaddq_f32(vaddq_f32(p1, q1), vaddq_f32(r1, s1));
  } else {
    constexpr int kStride = a_stride(MR);
    auto step = [&](const float* ak, const float* bk) {
      const float32x4_t b0 = vld1q_f32(bk), b1 = vld1q_f32(bk + 4);
      const float32x4_t a0 = vld1q_f32(ak);
      const float32x4_t a1 = MR > 4 ? vld1q_f32(ak + 4) : a0;
      fma_rows<MR>(acc, b0, b1, a0, a1, std::make_index_sequence<MR>{});
    };
    int kk = 0;
    // Two k-steps per iteration: one pointer update and branch per 2 x MR x 2 FMAs.
    for (; kk + 2 <= kc; kk += 2, a += 2 * kStride, b += 16) {
      step(a, b);
      step(a + kStride, b + 8);
    }
    if (kk < kc) step(a, b);
  }
  if (last) {
    const float32x4_t vlo = vdupq_n_f32(lo), vhi = vdupq_n_f32(hi);
    for_rows<MR>([&](auto i) {
      acc[i][0] = vminq_f32(vmaxq_f32(acc[i][0], vlo), vhi);
      acc[i][1] = vminq_f32(vmaxq_f32(acc[i][1], vlo), vhi);
    });
  }
  for_rows<MR>([&](auto i) {
    vst1q_f32(c + static_cast<size_t>(i) * ldc, acc[i][0]);
    vst1q_f32(c + static_cast<size_t>(i) * ldc + 4, acc[i][1]);
  });
}

using Ukernel = void (*)(int, const float*, const float*, float*, int, bool, const float*, bool,
                         float, float);
constexpr Ukernel kUkernels[kGemmMr + 1] = {nullptr,    ukernel<1>, ukernel<2>,
                                            ukernel<3>, ukernel<4>, ukernel<5>,
                                            ukernel<6>, ukernel<7>, ukernel<8>};

// One MR x nr tile; partial-width tiles go through a full-width scratch tile so the
// micro-kernel never reads or writes past column n.
void run_tile(int mr, int nr, int kc, const float* a, const float* b, float* c, int ldc, bool first,
              const float* bias8, bool last, float lo, float hi) {
  if (nr == kGemmNr) {
    kUkernels[mr](kc, a, b, c, ldc, first, bias8, last, lo, hi);
    return;
  }
  float tmp[kGemmMr * kGemmNr];
  if (!first) {
    for (int i = 0; i < mr; ++i)
      std::memcpy(tmp + i * kGemmNr, c + static_cast<size_t>(i) * ldc, nr * sizeof(float));
  }
  kUkernels[mr](kc, a, b, tmp, kGemmNr, first, bias8, last, lo, hi);
  for (int i = 0; i < mr; ++i)
    std::memcpy(c + static_cast<size_t>(i) * ldc, tmp + i * kGemmNr, nr * sizeof(float));
}

}  // namespace

void gemm_f32_neon(int m, int n, int k, const float* a, int lda, const float* packed_b, float* c,
                   int ldc, const float* bias, float out_min, float out_max, float* workspace) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {  // empty sum: C is the clamped bias
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j)
        c[static_cast<size_t>(i) * ldc + j] =
            std::min(std::max(bias ? bias[j] : 0.0f, out_min), out_max);
    return;
  }
  if (m == 1) {
    // A single row needs no packing (a 1-row tile is the row itself) and no K blocking
    // (nothing to reuse): stream each B panel once, front to back.
    for (int n0 = 0; n0 < n; n0 += kGemmNr) {
      const int nr = std::min(kGemmNr, n - n0);
      float bias_tail[kGemmNr] = {};
      if (bias && nr < kGemmNr) std::memcpy(bias_tail, bias + n0, nr * sizeof(float));
      const float* bias8 = !bias ? nullptr : nr == kGemmNr ? bias + n0 : bias_tail;
      run_tile(1, nr, k, a, packed_b + static_cast<size_t>(n0) * k, c + n0, ldc, true, bias8, true,
               out_min, out_max);
    }
    return;
  }
  std::vector<float> own;
  if (!workspace) {
    own.resize(gemm_f32_workspace_size());
    workspace = own.data();
  }
  // Goto order: K block outermost (partial sums live in C), then an M block of packed A
  // in L2, then B panels (kc x 8, L1) and the A tiles of the block under each panel.
  for (int k0 = 0; k0 < k; k0 += kGemmKc) {
    const int kc = std::min(kGemmKc, k - k0);
    const bool first = k0 == 0, last = k0 + kc == k;
    for (int m0 = 0; m0 < m; m0 += kGemmMc) {
      const int mc = std::min(kGemmMc, m - m0);
      pack_a(mc, kc, a + static_cast<size_t>(m0) * lda + k0, lda, workspace);
      for (int n0 = 0; n0 < n; n0 += kGemmNr) {
        const int nr = std::min(kGemmNr, n - n0);
        const float* panel =
            packed_b + static_cast<size_t>(n0) * k + static_cast<size_t>(k0) * kGemmNr;
        float bias_tail[kGemmNr] = {};
        const float* bias8 = nullptr;
        if (bias && nr == kGemmNr) {
          bias8 = bias + n0;
        } else if (bias) {
          std::memcpy(bias_tail, bias + n0, nr * sizeof(float));
          bias8 = bias_tail;
        }
        for (int t0 = 0; t0 < mc; t0 += kGemmMr) {
          const int mr = std::min(kGemmMr, mc - t0);
          run_tile(mr, nr, kc, workspace + static_cast<size_t>(t0) * kc, panel,
                   c + static_cast<size_t>(m0 + t0) * ldc + n0, ldc, first, bias8, last, out_min,
                   out_max);
        }
      }
    }
  }
}

}  // namespace tandem::neon
