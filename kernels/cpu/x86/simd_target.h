// Target regions for the per-level code of the SIMD layer (simd_avx512.h,
// simd_avx2.h), for GCC and Clang alike:
//
//   TANDEM_SIMD_BEGIN_AVX2      // every function defined until the END is
//   ...                         // compiled for AVX2 + FMA3
//   TANDEM_SIMD_END
//
// GCC: #pragma GCC push_options / target / pop_options. Clang ignores those, so
// there: #pragma clang attribute push(target(...), apply_to = function) / pop.
#pragma once

#if defined(__clang__)
#define TANDEM_SIMD_BEGIN_AVX512 \
  _Pragma("clang attribute push(__attribute__((target(\"avx512f\"))), apply_to = function)")
#define TANDEM_SIMD_BEGIN_AVX2 \
  _Pragma("clang attribute push(__attribute__((target(\"avx2,fma\"))), apply_to = function)")
#define TANDEM_SIMD_END _Pragma("clang attribute pop")
#else
#define TANDEM_SIMD_BEGIN_AVX512 _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f\")")
#define TANDEM_SIMD_BEGIN_AVX2 _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma\")")
#define TANDEM_SIMD_END _Pragma("GCC pop_options")
#endif
