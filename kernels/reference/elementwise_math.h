// Per-element definitions shared by the reference kernels and the backends'
// scalar paths (so a fast path and the oracle agree on every value): Pow's
// exact square, Gelu's two forms.
#pragma once

#include <cmath>

namespace tandem::ref {

// std::pow, except that an exponent of exactly 2 is the exact square a * a (what
// pow approximates; glibc's powf may be an ulp off), so backends can take that
// fast path and stay bit-identical to the oracle.
inline float pow_value(float a, float b) {
  return b == 2.0f ? a * a : std::pow(a, b);
}

// GELU, x * Phi(x), evaluated in double and rounded once: the exact (erf) form
// and the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
inline float gelu_erf_value(float x) {
  const double v = x;
  return static_cast<float>(0.5 * v * (1.0 + std::erf(v * 0.70710678118654752440)));
}
inline float gelu_tanh_value(float x) {
  const double v = x;
  const double inner = 0.79788456080286535588 * (v + 0.044715 * v * v * v);
  return static_cast<float>(0.5 * v * (1.0 + std::tanh(inner)));
}

}  // namespace tandem::ref
