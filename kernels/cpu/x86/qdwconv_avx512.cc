// The int8 depthwise loop (qdwconv_impl.h) on AVX-512, and the packing both levels use.
#include "kernels/cpu/x86/qdwconv.h"

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
  p.zx_row.assign(size_t(g.w * p.cpad), int8_t(g.zx));
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

}  // namespace tandem::cpu

// (maskz forms with a full mask: GCC 12 warns that the unmasked ones read an
// undefined vector when inlined into a target region.)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl")
#endif

#include "kernels/cpu/x86/simd_avx512.h"

namespace tandem::cpu::avx512 {
namespace {

constexpr __mmask16 kAll = 0xFFFF;

// The int8 members of qdwconv_impl.h on 16 lanes (masked loads and stores: the
// tail needs no other path).
struct Q8 : Avx512F32 {
  using I = __m512i;
  template <bool kTail>
  static V load_x(const int8_t* p, Mask m) {
    return _mm512_maskz_cvtepi32_ps(kAll,
                                    _mm512_maskz_cvtepi8_epi32(kAll, _mm_maskz_loadu_epi8(m, p)));
  }
  static I loadi(const int32_t* p) { return _mm512_loadu_si512(p); }
  static I set1i(int32_t v) { return _mm512_set1_epi32(v); }
  static I to_int(V f) { return _mm512_maskz_cvtps_epi32(kAll, f); }
  static V to_float(I i) { return _mm512_maskz_cvtepi32_ps(kAll, i); }
  static V mul(V a, V b) { return _mm512_maskz_mul_ps(kAll, a, b); }
  static I addi(I a, I b) { return _mm512_add_epi32(a, b); }
  template <bool kTail>
  static void store_y(int8_t* p, Mask m, I q) {
    _mm512_mask_cvtsepi32_storeu_epi8(p, m, q);
  }
};

#include "kernels/cpu/x86/qdwconv_impl.h"

}  // namespace

void run(const QDwWeights& w, const QDwGeometry& g, const int8_t* x, int8_t* y, pthreadpool_t pool,
         uint32_t pool_flags) {
  qdw_run(qdw_row_task<Q8>, w, g, x, y, pool, pool_flags);
}

}  // namespace tandem::cpu::avx512

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace tandem::cpu {

void qdwconv_run(const QDwWeights& w, const QDwGeometry& g, const int8_t* x, int8_t* y,
                 pthreadpool_t pool, uint32_t pool_flags) {
  avx512::run(w, g, x, y, pool, pool_flags);
}

#else

bool qdwconv_avx512_available() {
  return false;
}
void qdwconv_run(const QDwWeights&, const QDwGeometry&, const int8_t*, int8_t*, pthreadpool_t,
                 uint32_t) {}

#endif

}  // namespace tandem::cpu
