// GlobalAveragePool and GlobalMaxPool over all spatial dims of each (n, c).
#include <limits>

#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(GlobalAveragePool) {
  const Shape& xs = in_shape(g, n, 0);
  const int64_t planes = xs[0] * xs[1];
  const int64_t inner = dims_product(xs, 2, xs.size());
  for (int64_t p = 0; p < planes; ++p) {
    const float* x = in[0] + p * inner;
    double sum = 0.0;  // double: 56x56 planes lose digits in float
    for (int64_t i = 0; i < inner; ++i) sum += x[i];
    out[0][p] = inner > 0 ? static_cast<float>(sum / static_cast<double>(inner)) : 0.0f;
  }
  return Status();
}

TANDEM_REF_KERNEL(GlobalMaxPool) {
  const Shape& xs = in_shape(g, n, 0);
  const int64_t planes = xs[0] * xs[1];
  const int64_t inner = dims_product(xs, 2, xs.size());
  for (int64_t p = 0; p < planes; ++p) {
    const float* x = in[0] + p * inner;
    float best = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < inner; ++i) best = x[i] > best ? x[i] : best;
    out[0][p] = best;
  }
  return Status();
}

}  // namespace tandem::ref
