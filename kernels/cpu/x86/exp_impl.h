// exp over the SIMD layer `S`, shared by the SiLU rows (gated_rows_impl.h), the
// GELU rows (norm_rows_impl.h) and the GEMM's SiLU epilogue. Not a normal header:
// the *_impl.h files that use it include it inside their target region and
// per-ISA namespace (see simd_avx512.h).
//
// Range reduction t = n ln2 + r, |r| <= ln2/2 (ln2 split in a high and a low part),
// degree-6 Taylor polynomial of e^r, times 2^n; relative error ~1e-7. The same
// operations in the same order on every level.
#pragma once

// e^t for t in [-87, 87] (callers clamp).
template <class S>
inline typename S::V exp_v(typename S::V t) {
  using V = typename S::V;
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
  return S::scale2(p, n);  // n in [-126, 126]
}
