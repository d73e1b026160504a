// The int8 depthwise loop (qdwconv_impl.h) on AVX2 + FMA: 8 channels per ymm.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/x86/qdwconv.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "kernels/cpu/x86/simd_target.h"

namespace tandem::cpu {

bool qdwconv_avx2_available() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

}  // namespace tandem::cpu

TANDEM_SIMD_BEGIN_AVX2
#include "kernels/cpu/x86/simd_avx2.h"

namespace tandem::cpu::avx2 {
namespace {

// The int8 members of qdwconv_impl.h on 8 lanes. AVX2 has no byte masks: a full
// block loads 8 bytes (vpmovsxbd from memory) and stores 8; the tail (mask: its
// channel count) goes through a copy, so no byte past the row is touched.
struct Q8 : Avx2F32 {
  using I = __m256i;
  using Mask = int;
  static Mask mask(int64_t n) { return int(std::min<int64_t>(n, kLanes)); }
  template <bool kTail>
  static V load_x(const int8_t* p, Mask m) {
    int64_t bits = 0;
    if constexpr (kTail)
      std::memcpy(&bits, p, size_t(m));
    else
      std::memcpy(&bits, p, 8);
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_cvtsi64_si128(bits)));
  }
  static I loadi(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const I*>(p)); }
  static I set1i(int32_t v) { return _mm256_set1_epi32(v); }
  static I to_int(V f) { return _mm256_cvtps_epi32(f); }
  static V to_float(I i) { return _mm256_cvtepi32_ps(i); }
  static I addi(I a, I b) { return _mm256_add_epi32(a, b); }
  template <bool kTail>
  static void store_y(int8_t* p, Mask m, I q) {
    const __m128i h = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    const int64_t bits = _mm_cvtsi128_si64(_mm_packs_epi16(h, h));
    std::memcpy(p, &bits, kTail ? size_t(m) : 8);
  }
};

#include "kernels/cpu/x86/qdwconv_impl.h"

}  // namespace

void run(const QDwWeights& w, const QDwGeometry& g, const int8_t* x, int8_t* y, pthreadpool_t pool,
         uint32_t pool_flags) {
  qdw_run(qdw_row_task<Q8>, w, g, x, y, pool, pool_flags);
}

}  // namespace tandem::cpu::avx2

TANDEM_SIMD_END

namespace tandem::cpu {

void qdwconv_avx2_run(const QDwWeights& w, const QDwGeometry& g, const int8_t* x, int8_t* y,
                      pthreadpool_t pool, uint32_t pool_flags) {
  avx2::run(w, g, x, y, pool, pool_flags);
}

}  // namespace tandem::cpu

#else

namespace tandem::cpu {

bool qdwconv_avx2_available() {
  return false;
}
void qdwconv_avx2_run(const QDwWeights&, const QDwGeometry&, const int8_t*, int8_t*, pthreadpool_t,
                      uint32_t) {}

}  // namespace tandem::cpu

#endif
