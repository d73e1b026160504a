// LayerNorm, GELU and softmax rows over the SIMD layer `S`, included by
// norm_rows_avx512.cc and norm_rows_avx2.cc inside their target region and
// per-ISA namespace (see simd_avx512.h).
//
// exp: exp_v (exp_impl.h, relative error ~1e-7). Phi(x) = 1 - Q(x) for x >= 0 and Q(-x)
// otherwise, Q(x) = 0.5 erfc(x / sqrt 2) by Abramowitz-Stegun 7.1.26, so the
// negative tail has no cancellation.

#include "kernels/cpu/x86/exp_impl.h"

// x * Phi(x), erf form.
template <class S>
inline typename S::V gelu_erf_v(typename S::V x) {
  using V = typename S::V;
  const V z = S::mul(S::max(x, S::sub(S::zero(), x)), S::set1(0.70710678f));  // |x| / sqrt 2
  const V t = S::div(S::set1(1.0f), S::fmadd(S::set1(0.3275911f), z, S::set1(1.0f)));
  V p = S::set1(1.061405429f);
  p = S::fmadd(p, t, S::set1(-1.453152027f));
  p = S::fmadd(p, t, S::set1(1.421413741f));
  p = S::fmadd(p, t, S::set1(-0.284496736f));
  p = S::fmadd(p, t, S::set1(0.254829592f));
  p = S::mul(p, t);
  const V e = exp_v<S>(S::max(S::sub(S::zero(), S::mul(z, z)), S::set1(-87.0f)));
  const V q = S::mul(S::mul(S::set1(0.5f), p), e);  // Q(|x|)
  // Phi = 1 - q where x >= 0, q where x < 0: q + s (1 - 2q) with s = 1 or 0.
  const V pos = S::min(S::max(S::mul(x, S::set1(3.4e38f)), S::zero()), S::set1(1.0f));
  const V phi = S::fmadd(pos, S::fnmadd(S::set1(2.0f), q, S::set1(1.0f)), q);
  return S::mul(x, phi);
}

// x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): the tanh form.
template <class S>
inline typename S::V gelu_tanh_v(typename S::V x) {
  using V = typename S::V;
  const V x3 = S::mul(S::mul(x, x), x);
  const V u2 = S::mul(S::set1(1.59576912f), S::fmadd(S::set1(0.044715f), x3, x));
  const V e = exp_v<S>(S::clamp(S::sub(S::zero(), u2), S::set1(-87.0f), S::set1(87.0f)));
  return S::div(x, S::add(S::set1(1.0f), e));
}

template <class S, typename S::V (*F)(typename S::V)>
void map_row_t(const float* x, float* y, int64_t c) {
  int64_t i = 0;
  for (; i + S::kLanes <= c; i += S::kLanes) S::storeu(y + i, F(S::loadu(x + i)));
  if (i < c) {
    const typename S::Mask m = S::mask(c - i);
    S::store_mask(m, y + i, F(S::load_mask(m, x + i)));
  }
}

// Sum of x[i] - shift (squared when Square) over the row, two accumulators.
template <class S, bool Square>
float row_sum_t(const float* x, int64_t c, float shift) {
  using V = typename S::V;
  const V s = S::set1(shift);
  V a0 = S::zero(), a1 = S::zero();
  int64_t i = 0;
  for (; i + 2 * S::kLanes <= c; i += 2 * S::kLanes) {
    const V d0 = S::sub(S::loadu(x + i), s), d1 = S::sub(S::loadu(x + i + S::kLanes), s);
    a0 = Square ? S::fmadd(d0, d0, a0) : S::add(a0, d0);
    a1 = Square ? S::fmadd(d1, d1, a1) : S::add(a1, d1);
  }
  for (; i + S::kLanes <= c; i += S::kLanes) {
    const V d = S::sub(S::loadu(x + i), s);
    a0 = Square ? S::fmadd(d, d, a0) : S::add(a0, d);
  }
  float tail = 0.0f;
  for (; i < c; ++i) {
    const float d = x[i] - shift;
    tail += Square ? d * d : d;
  }
  return S::reduce_add(S::add(a0, a1)) + tail;
}

template <class S>
void layer_norm_row_t(const float* x, float* y, int64_t c, const float* scale, const float* bias,
                      float eps) {
  using V = typename S::V;
  const float mean = row_sum_t<S, false>(x, c, 0.0f) / float(c);
  const float var = row_sum_t<S, true>(x, c, mean) / float(c);
  const V m = S::set1(mean), r = S::set1(1.0f / std::sqrt(var + eps));
  int64_t i = 0;
  for (; i + S::kLanes <= c; i += S::kLanes) {
    const V d = S::mul(S::sub(S::loadu(x + i), m), r);
    const V b = bias ? S::loadu(bias + i) : S::zero();
    S::storeu(y + i, S::fmadd(d, S::loadu(scale + i), b));
  }
  if (i < c) {
    const typename S::Mask k = S::mask(c - i);
    const V d = S::mul(S::sub(S::load_mask(k, x + i), m), r);
    const V b = bias ? S::load_mask(k, bias + i) : S::zero();
    S::store_mask(k, y + i, S::fmadd(d, S::load_mask(k, scale + i), b));
  }
}

// y = exp(x - max) / sum over one row of c floats: the max, then exp and its sum
// (exp_v's argument clamped at -87: e^-87 in place of smaller terms, below float
// resolution next to the row's largest term, 1), then the scale.
template <class S>
void softmax_row_t(const float* x, float* y, int64_t c) {
  using V = typename S::V;
  int64_t i = 0;
  float mx = -__builtin_inff();
  if (c >= S::kLanes) {
    V m = S::loadu(x);
    for (i = S::kLanes; i + S::kLanes <= c; i += S::kLanes) m = S::max(m, S::loadu(x + i));
    float lanes[S::kLanes];
    S::storeu(lanes, m);
    for (float v : lanes) mx = v > mx ? v : mx;
  }
  for (; i < c; ++i) mx = x[i] > mx ? x[i] : mx;
  const V shift = S::set1(mx), lo = S::set1(-87.0f);
  V sum = S::zero();
  for (i = 0; i + S::kLanes <= c; i += S::kLanes) {
    const V e = exp_v<S>(S::max(S::sub(S::loadu(x + i), shift), lo));
    S::storeu(y + i, e);
    sum = S::add(sum, e);
  }
  if (i < c) {
    const typename S::Mask k = S::mask(c - i);
    S::store_mask(k, y + i, exp_v<S>(S::max(S::sub(S::load_mask(k, x + i), shift), lo)));
    sum = S::add(sum, S::load_mask(k, y + i));
  }
  // Probabilities below FLT_MIN become 0, not denormals: a product with a denormal
  // costs ~100x on x86, and attention's x V reads them all (Swin-T's windows of 49
  // tokens: 1.7-5.8 GFLOP/s in attn @ v). They differ from the reference's by < 1.2e-38.
  const V r = S::set1(1.0f / S::reduce_add(sum));
  constexpr float kFloor = 1.17549435e-38f;
  for (i = 0; i + S::kLanes <= c; i += S::kLanes)
    S::storeu(y + i, S::flush_below(S::mul(S::loadu(y + i), r), kFloor));
  if (i < c) {
    const typename S::Mask k = S::mask(c - i);
    S::store_mask(k, y + i, S::flush_below(S::mul(S::load_mask(k, y + i), r), kFloor));
  }
}
