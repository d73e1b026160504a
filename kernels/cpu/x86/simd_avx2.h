// Thin SIMD layer, AVX2 + FMA3: 8 f32 lanes in a ymm register (Avx2F32), the
// same members as Avx512F32 (simd_avx512.h, which says how to use both).
//
// How to use: in a .cc of its own, standard headers and <immintrin.h> first, then
//
//   #include "kernels/cpu/x86/simd_target.h"
//   TANDEM_SIMD_BEGIN_AVX2
//   #include "kernels/cpu/x86/simd_avx2.h"
//   namespace tandem::cpu::avx2 {
//   namespace {
//   using S = Avx2F32;
//   #include "kernels/cpu/x86/my_kernel_impl.h"   // templates / code over S
//   }  // namespace
//   void my_kernel(...) { my_kernel_impl(...); }
//   }
//   TANDEM_SIMD_END
//
// Call the result only when CpuKernelOptions::isa >= CpuIsa::kAvx2. AVX2 has no
// mask registers: Mask is a vector of all-ones / zero lanes (vmaskmovps, which
// neither reads nor faults on masked-off lanes). There are 16 ymm registers
// (not 32): size register tiles for that.
#pragma once

#if !defined(__x86_64__)
#error "simd_avx2.h is x86-64 only"
#endif
// (GCC's C++ front end does not define __AVX2__ / __AVX512F__ after the target
// pragma, so a use outside the region shows as "inlining failed ... target
// specific option mismatch" instead.)

#include <immintrin.h>

#include <cstdint>

namespace tandem::cpu {

struct Avx2F32 {
  using V = __m256;
  using Mask = __m256i;
  static constexpr int kLanes = 8;
  static constexpr const char* kName = "avx2";

  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static V load(const float* p) { return _mm256_load_ps(p); }  // 32-byte aligned
  static V loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_store_ps(p, v); }
  static void storeu(float* p, V v) { _mm256_storeu_ps(p, v); }

  // The first n lanes (n in [0, kLanes]; kLanes and above: all).
  static Mask mask(int64_t n) {
    const int k = n >= kLanes ? kLanes : n <= 0 ? 0 : int(n);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static bool full(Mask m) { return _mm256_movemask_ps(_mm256_castsi256_ps(m)) == 0xFF; }
  // Masked-off lanes read as 0 and are never touched in memory (no fault).
  static V load_mask(Mask m, const float* p) { return _mm256_maskload_ps(p, m); }
  static void store_mask(Mask m, float* p, V v) { _mm256_maskstore_ps(p, m, v); }
  static V load_tail(const float* p, int64_t n) { return load_mask(mask(n), p); }
  static void store_tail(float* p, int64_t n, V v) { store_mask(mask(n), p, v); }

  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }    // a * b + c
  static V fnmadd(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }  // c - a * b
  // vminps/vmaxps as in Avx512F32: min(a, b) is b where either is NaN.
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V clamp(V x, V lo, V hi) { return min(max(x, lo), hi); }
  // x where x >= floor, else 0 (a softmax's denormal tail flushed: see norm_rows_impl.h).
  static V flush_below(V x, float floor) {
    return _mm256_and_ps(x, _mm256_cmp_ps(x, _mm256_set1_ps(floor), _CMP_GE_OQ));
  }
  // Round to nearest even.
  static V round(V x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // x * 2^n for integral n in [-126, 127] (builds 2^n from its exponent bits;
  // unlike vscalefps it does not saturate outside that range: clamp n first).
  static V scale2(V x, V n) {
    const __m256i e =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(x, _mm256_castsi256_ps(e));
  }
  static float reduce_add(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }

  static void prefetch(const void* p) {
    _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0);
  }
};

}  // namespace tandem::cpu
