// SiLU and HardSwish rows over the SIMD layer `S`, included by
// gated_rows_avx512.cc and gated_rows_avx2.cc inside their target region and
// per-ISA namespace (see simd_avx512.h).
//
// Sigmoid on exp_v (exp_impl.h), relative error ~1e-7.
#include "kernels/cpu/x86/exp_impl.h"

// x * sigmoid(x), one vector.
template <class S>
inline typename S::V silu_v(typename S::V x) {
  using V = typename S::V;
  // e = exp(-x), with -x clamped so that e stays finite (sigmoid is 0 or 1 there).
  const V e = exp_v<S>(S::clamp(S::sub(S::zero(), x), S::set1(-87.0f), S::set1(87.0f)));
  return S::div(x, S::add(S::set1(1.0f), e));
}

// x * clamp(alpha x + beta, 0, 1), one vector.
template <class S>
inline typename S::V hard_v(typename S::V x, typename S::V alpha, typename S::V beta) {
  return S::mul(x, S::clamp(S::fmadd(alpha, x, beta), S::zero(), S::set1(1.0f)));
}

template <class S>
void silu_row_t(const float* x, float* y, int64_t c) {
  int64_t i = 0;
  for (; i + S::kLanes <= c; i += S::kLanes) S::storeu(y + i, silu_v<S>(S::loadu(x + i)));
  if (i < c) {
    const typename S::Mask m = S::mask(c - i);
    S::store_mask(m, y + i, silu_v<S>(S::load_mask(m, x + i)));
  }
}

template <class S>
void hard_row_t(const float* x, float* y, int64_t c, float alpha, float beta) {
  const typename S::V a = S::set1(alpha), b = S::set1(beta);
  int64_t i = 0;
  for (; i + S::kLanes <= c; i += S::kLanes) S::storeu(y + i, hard_v<S>(S::loadu(x + i), a, b));
  if (i < c) {
    const typename S::Mask m = S::mask(c - i);
    S::store_mask(m, y + i, hard_v<S>(S::load_mask(m, x + i), a, b));
  }
}
