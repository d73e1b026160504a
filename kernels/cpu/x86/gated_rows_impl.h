// SiLU and HardSwish rows over the SIMD layer `S`, included by
// gated_rows_avx512.cc and gated_rows_avx2.cc inside their target region and
// per-ISA namespace (see simd_avx512.h).
//
// Sigmoid: exp by range reduction (x = n ln2 + r, |r| <= ln2/2, degree-6 Taylor
// polynomial, times 2^n), relative error ~1e-7; the same operations in the same
// order on every level.

// x * sigmoid(x), one vector.
template <class S>
inline typename S::V silu_v(typename S::V x) {
  using V = typename S::V;
  // e = exp(-x), with -x clamped so that e stays finite (sigmoid is 0 or 1 there).
  const V t = S::clamp(S::sub(S::zero(), x), S::set1(-87.0f), S::set1(87.0f));
  const V n = S::round(S::mul(t, S::set1(1.44269504f)));
  V r = S::fnmadd(n, S::set1(0.693145752f), t);  // ln2, high part
  r = S::fnmadd(n, S::set1(1.42860677e-6f), r);  // ln2, low part
  V p = S::set1(1.0f / 720);
  p = S::fmadd(p, r, S::set1(1.0f / 120));
  p = S::fmadd(p, r, S::set1(1.0f / 24));
  p = S::fmadd(p, r, S::set1(1.0f / 6));
  p = S::fmadd(p, r, S::set1(0.5f));
  p = S::fmadd(p, r, S::set1(1.0f));
  p = S::fmadd(p, r, S::set1(1.0f));
  const V e = S::scale2(p, n);  // n in [-126, 126]
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
