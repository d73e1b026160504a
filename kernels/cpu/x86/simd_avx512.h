// Thin SIMD layer, AVX-512F: 16 f32 lanes in a zmm register (Avx512F32).
//
// Why: one kernel source serves AVX-512 and AVX2 (simd_avx2.h has the same
// members over 8 lanes), so a kernel is a template over `S` (Avx512F32 or
// Avx2F32) written with S::V, S::kLanes, S::fmadd, ...; per-ISA code only
// where the register file shapes it (tile sizes, as constants of the caller).
//
// How to use: the binary targets baseline x86-64, so the per-ISA instantiation
// lives in its own .cc that includes standard headers and <immintrin.h> first,
// then this header and the kernel template header inside a target region
// (simd_target.h: #pragma GCC target on GCC, #pragma clang attribute on Clang),
// in a per-ISA (or anonymous) namespace so two differently compiled
// instantiations never merge:
//
//   #include <immintrin.h>          // and every other standard header
//   #include "kernels/cpu/x86/simd_target.h"
//   TANDEM_SIMD_BEGIN_AVX512
//   #include "kernels/cpu/x86/simd_avx512.h"
//   namespace tandem::cpu::avx512 {
//   namespace {
//   using S = Avx512F32;
//   #include "kernels/cpu/x86/my_kernel_impl.h"   // templates / code over S
//   }  // namespace
//   void my_kernel(...) { my_kernel_impl(...); }  // declared in a plain header
//   }
//   TANDEM_SIMD_END
//
// (gemm_avx512.cc / gemm_kernel.h is a full example.) Keep test assertions and
// other library code outside the region.
//
// Call the result only when CpuKernelOptions::isa >= CpuIsa::kAvx512.
// All members are static and inline; masks select the first n lanes (tails).
#pragma once

#if !defined(__x86_64__)
#error "simd_avx512.h is x86-64 only"
#endif
// (GCC's C++ front end does not define __AVX2__ / __AVX512F__ after the target
// pragma, so a use outside the region shows as "inlining failed ... target
// specific option mismatch" instead.)

#include <immintrin.h>

#include <cstdint>

namespace tandem::cpu {

struct Avx512F32 {
  using V = __m512;
  using Mask = __mmask16;
  static constexpr int kLanes = 16;
  static constexpr const char* kName = "avx512";

  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static V load(const float* p) { return _mm512_load_ps(p); }  // 64-byte aligned
  static V loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_store_ps(p, v); }
  static void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }

  // The first n lanes (n in [0, kLanes]; kLanes and above: all).
  static Mask mask(int64_t n) {
    return n >= kLanes ? Mask(0xFFFF) : n <= 0 ? Mask(0) : Mask((1u << n) - 1);
  }
  static bool full(Mask m) { return m == Mask(0xFFFF); }
  // Masked-off lanes read as 0 and are never touched in memory (no fault).
  static V load_mask(Mask m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static void store_mask(Mask m, float* p, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static V load_tail(const float* p, int64_t n) { return load_mask(mask(n), p); }
  static void store_tail(float* p, int64_t n, V v) { store_mask(mask(n), p, v); }

  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }    // a * b + c
  static V fnmadd(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }  // c - a * b
  // maskz forms: GCC 12's plain min/max intrinsics warn about an undefined operand.
  // Same instruction (vminps/vmaxps): min(a, b) is b where either is NaN.
  static V min(V a, V b) { return _mm512_maskz_min_ps(0xFFFF, a, b); }
  static V max(V a, V b) { return _mm512_maskz_max_ps(0xFFFF, a, b); }
  static V clamp(V x, V lo, V hi) { return min(max(x, lo), hi); }
  // x where x >= floor, else 0 (a softmax's denormal tail flushed: see norm_rows_impl.h).
  static V flush_below(V x, float floor) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(floor), _CMP_GE_OQ), x);
  }
  // Round to nearest even.
  static V round(V x) { return _mm512_maskz_roundscale_ps(0xFFFF, x, _MM_FROUND_TO_NEAREST_INT); }
  // x * 2^n for integral n (vscalefps: exact, saturating to 0 / inf).
  static V scale2(V x, V n) { return _mm512_maskz_scalef_ps(0xFFFF, x, n); }
  // (Not _mm512_reduce_add_ps: GCC 12 warns about its undefined operand; the
  // maskz extracts do not.)
  static float reduce_add(V v) {
    __m128 s = _mm_add_ps(_mm_add_ps(_mm512_maskz_extractf32x4_ps(0xF, v, 0),
                                     _mm512_maskz_extractf32x4_ps(0xF, v, 1)),
                          _mm_add_ps(_mm512_maskz_extractf32x4_ps(0xF, v, 2),
                                     _mm512_maskz_extractf32x4_ps(0xF, v, 3)));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }

  static void prefetch(const void* p) {
    _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0);
  }
};

}  // namespace tandem::cpu
