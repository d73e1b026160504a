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

// One output pixel's 16 channels from c0 (`mask`: those that exist).
inline void pixel_block(const Job& j, int64_t img, int64_t oy, int64_t ox, int64_t c0,
                        __mmask16 mask) {
  const QDwGeometry& g = *j.g;
  const QDwWeights& w = *j.w;
  const __m512 zx = _mm512_maskz_cvtepi32_ps(kAll, _mm512_set1_epi32(g.zx));
  __m512 acc = _mm512_setzero_ps();
  for (int64_t ky = 0; ky < g.kh; ++ky) {
    const int64_t iy = oy * g.sh - g.pt + ky;
    for (int64_t kx = 0; kx < g.kw; ++kx) {
      const int64_t ix = ox * g.sw - g.pl + kx;
      const __m512 wv = _mm512_loadu_ps(w.w.data() + (ky * g.kw + kx) * w.cpad + c0);
      __m512 xv = zx;
      if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) {
        const int8_t* src = j.x + ((img * g.h + iy) * g.w + ix) * g.c + c0;
        xv = _mm512_maskz_cvtepi32_ps(
            kAll, _mm512_maskz_cvtepi8_epi32(kAll, _mm_maskz_loadu_epi8(mask, src)));
      }
      acc = _mm512_maskz_fmadd_ps(kAll, xv, wv, acc);
    }
  }
  __m512i sum = _mm512_maskz_cvtps_epi32(kAll, acc);  // an exact integer
  sum = _mm512_add_epi32(sum, _mm512_loadu_si512(w.bias.data() + c0));
  __m512 f = _mm512_maskz_mul_ps(kAll, _mm512_maskz_cvtepi32_ps(kAll, sum),
                                 _mm512_loadu_ps(w.multiplier.data() + c0));
  f = _mm512_maskz_max_ps(kAll, f, _mm512_set1_ps(float(w.lo - w.zy)));
  f = _mm512_maskz_min_ps(kAll, f, _mm512_set1_ps(float(w.hi - w.zy)));
  const __m512i q = _mm512_add_epi32(_mm512_maskz_cvtps_epi32(kAll, f), _mm512_set1_epi32(w.zy));
  _mm512_mask_cvtsepi32_storeu_epi8(j.y + ((img * g.oh + oy) * g.ow + ox) * g.c + c0, mask, q);
}

// Task: one output row of one image.
void row_task(void* ctx, size_t index) {
  const Job& j = *static_cast<const Job*>(ctx);
  const QDwGeometry& g = *j.g;
  const int64_t img = int64_t(index) / g.oh, oy = int64_t(index) % g.oh;
  for (int64_t ox = 0; ox < g.ow; ++ox)
    for (int64_t c0 = 0; c0 < g.c; c0 += 16) {
      const int64_t lanes = std::min<int64_t>(16, g.c - c0);
      pixel_block(j, img, oy, ox, c0, lanes == 16 ? kAll : __mmask16((1u << lanes) - 1));
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
