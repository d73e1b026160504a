// LayerNormalization over consecutive axes: each slice over them (`norm`
// elements, `inner` apart in memory) is centred and divided by
// sqrt(var + epsilon), then scaled and shifted per slice position. Mean and
// variance in double, the variance as the mean of squared deviations (what the
// exported ReduceMean/Sub/Pow/ReduceMean decomposition computes).
#include <cmath>

#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(LayerNormalization) {
  const Shape& xs = in_shape(g, n, 0);
  const std::vector<int64_t>& axes = n.attrs.axes;
  int64_t outer = 1, norm = 1, inner = 1;
  for (size_t d = 0; d < xs.size(); ++d) {
    const int64_t ad = static_cast<int64_t>(d);
    int64_t& part = ad < axes.front() ? outer : ad <= axes.back() ? norm : inner;
    part *= xs[d];
  }
  const float* scale = in[1];
  const float* bias = optional_input(n, in, 2);
  const double eps = n.attrs.epsilon;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const float* x = in[0] + o * norm * inner + i;
      float* y = out[0] + o * norm * inner + i;
      double sum = 0.0;
      for (int64_t k = 0; k < norm; ++k) sum += x[k * inner];
      const double mean = sum / double(norm);
      double sq = 0.0;
      for (int64_t k = 0; k < norm; ++k) {
        const double d = x[k * inner] - mean;
        sq += d * d;
      }
      const double rstd = 1.0 / std::sqrt(sq / double(norm) + eps);
      for (int64_t k = 0; k < norm; ++k) {
        const double v = (x[k * inner] - mean) * rstd * scale[k];
        y[k * inner] = static_cast<float>(bias ? v + bias[k] : v);
      }
    }
  }
  return Status();
}

}  // namespace tandem::ref
