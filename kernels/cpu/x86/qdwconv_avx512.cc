#include "kernels/cpu/x86/qdwconv_avx512.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tandem::cpu {

QDwWeights qdwconv_pack(const int8_t* w, const QDwGeometry& g, const int32_t* bias,
                        const std::vector<float>& multiplier, int32_t zy, int32_t lo, int32_t hi) {
  QDwWeights p;
  p.cpad = (g.c + 15) / 16 * 16;
  p.zy = zy, p.lo = lo, p.hi = hi;
  const int64_t taps = g.kh * g.kw;
  p.w.assign(size_t(taps * p.cpad), 0.0f);
  p.bias.assign(size_t(p.cpad), 0);
  p.multiplier.assign(size_t(p.cpad), 0.0f);
  for (int64_t c = 0; c < g.c; ++c) {
    int32_t sum = 0;
    for (int64_t t = 0; t < taps; ++t) {
      sum += w[c * taps + t];
      p.w[size_t(t * p.cpad + c)] = float(w[c * taps + t]);
    }
    // Padding taps read zx, so sum (x - zx) * w = sum x * w - zx * sum w over all taps.
    p.bias[size_t(c)] = (bias ? bias[c] : 0) - g.zx * sum;
    p.multiplier[size_t(c)] = multiplier[size_t(c)];
  }
  return p;
}

#if defined(__x86_64__)

bool qdwconv_avx512_available() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl");
  return ok;
}

// (maskz forms with a full mask: GCC 12 warns that the unmasked ones read an
// undefined vector when inlined into a target region.)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl")
#endif

namespace {

constexpr __mmask16 kAll = 0xFFFF;

struct Job {
  const QDwWeights* w;
  const QDwGeometry* g;
  const int8_t* x;
  int8_t* y;
};

// 16 int8 values (those in `mask`) as floats.
inline __m512 load16(const int8_t* p, __mmask16 mask) {
  return _mm512_maskz_cvtepi32_ps(kAll,
                                  _mm512_maskz_cvtepi8_epi32(kAll, _mm_maskz_loadu_epi8(mask, p)));
}

// One output row's 16 channels from c0 (`mask`: those that exist), the K x K
// weight vectors held in registers across the row; taps outside the input read zx.
template <int K>
void row_block(const Job& j, int64_t img, int64_t oy, int64_t c0, __mmask16 mask) {
  const QDwGeometry g = *j.g;
  const QDwWeights& w = *j.w;
  __m512 wv[K * K];
  for (int t = 0; t < K * K; ++t) wv[t] = _mm512_loadu_ps(w.w.data() + t * w.cpad + c0);
  const __m512i bias = _mm512_loadu_si512(w.bias.data() + c0);
  const __m512 mult = _mm512_loadu_ps(w.multiplier.data() + c0);
  const __m512 lo = _mm512_set1_ps(float(w.lo - w.zy)), hi = _mm512_set1_ps(float(w.hi - w.zy));
  const __m512i zy = _mm512_set1_epi32(w.zy);
  const __m512 zx = _mm512_maskz_cvtepi32_ps(kAll, _mm512_set1_epi32(g.zx));
  const int8_t* x = j.x + img * g.h * g.w * g.c + c0;
  int8_t* y = j.y + (img * g.oh + oy) * g.ow * g.c + c0;
  const int64_t iy0 = oy * g.sh - g.pt;
  const bool rows_in = iy0 >= 0 && iy0 + K <= g.h;
  for (int64_t ox = 0; ox < g.ow; ++ox) {
    const int64_t ix0 = ox * g.sw - g.pl;
    __m512 acc = _mm512_setzero_ps();
    if (rows_in && ix0 >= 0 && ix0 + K <= g.w) {  // interior: no tap leaves the input
      const int8_t* p = x + (iy0 * g.w + ix0) * g.c;
      for (int ky = 0; ky < K; ++ky)
        for (int kx = 0; kx < K; ++kx)
          acc = _mm512_maskz_fmadd_ps(kAll, load16(p + (ky * g.w + kx) * g.c, mask),
                                      wv[ky * K + kx], acc);
    } else {
      for (int ky = 0; ky < K; ++ky) {
        const int64_t iy = iy0 + ky;
        const bool row_in = iy >= 0 && iy < g.h;
        for (int kx = 0; kx < K; ++kx) {
          const int64_t ix = ix0 + kx;
          const bool in = row_in && ix >= 0 && ix < g.w;
          const __m512 xv = in ? load16(x + (iy * g.w + ix) * g.c, mask) : zx;
          acc = _mm512_maskz_fmadd_ps(kAll, xv, wv[ky * K + kx], acc);
        }
      }
    }
    const __m512i sum = _mm512_add_epi32(_mm512_maskz_cvtps_epi32(kAll, acc), bias);  // exact
    __m512 f = _mm512_maskz_mul_ps(kAll, _mm512_maskz_cvtepi32_ps(kAll, sum), mult);
    f = _mm512_maskz_min_ps(kAll, _mm512_maskz_max_ps(kAll, f, lo), hi);
    const __m512i q = _mm512_add_epi32(_mm512_maskz_cvtps_epi32(kAll, f), zy);
    _mm512_mask_cvtsepi32_storeu_epi8(y + ox * g.c, mask, q);
  }
}

// Task: one output row of one image, all channel blocks.
void row_task(void* ctx, size_t index) {
  const Job& j = *static_cast<const Job*>(ctx);
  const QDwGeometry& g = *j.g;
  const int64_t img = int64_t(index) / g.oh, oy = int64_t(index) % g.oh;
  for (int64_t c0 = 0; c0 < g.c; c0 += 16) {
    const int64_t lanes = std::min<int64_t>(16, g.c - c0);
    const __mmask16 mask = lanes == 16 ? kAll : __mmask16((1u << lanes) - 1);
    if (g.kh == 3)
      row_block<3>(j, img, oy, c0, mask);
    else
      row_block<5>(j, img, oy, c0, mask);
  }
}

}  // namespace

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

void qdwconv_run(const QDwWeights& w, const QDwGeometry& g, const int8_t* x, int8_t* y,
                 pthreadpool_t pool, uint32_t pool_flags) {
  Job j{&w, &g, x, y};
  pthreadpool_parallelize_1d(pool, row_task, &j, size_t(g.n * g.oh), pool_flags);
}

#else

bool qdwconv_avx512_available() {
  return false;
}
void qdwconv_run(const QDwWeights&, const QDwGeometry&, const int8_t*, int8_t*, pthreadpool_t,
                 uint32_t) {}

#endif

}  // namespace tandem::cpu
