// BatchNormalization (inference): y = (x - mean) / sqrt(var + eps) * scale + B
// per channel (dim 1); inputs X, scale, B, mean, var.
#include <cmath>

#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(BatchNormalization) {
  const Shape& xs = in_shape(g, n, 0);
  const int64_t batch = xs[0];
  const int64_t channels = xs[1];
  const int64_t inner = dims_product(xs, 2, xs.size());
  const float* x = in[0];
  const float* scale = in[1];
  const float* bias = in[2];
  const float* mean = in[3];
  const float* var = in[4];
  float* y = out[0];
  for (int64_t c = 0; c < channels; ++c) {
    // Folded in double so the per-element work is one multiply-add.
    const double s = double(scale[c]) / std::sqrt(double(var[c]) + double(n.attrs.epsilon));
    const float mul = static_cast<float>(s);
    const float add = static_cast<float>(double(bias[c]) - double(mean[c]) * s);
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t off = (b * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) y[off + i] = x[off + i] * mul + add;
    }
  }
  return Status();
}

}  // namespace tandem::ref
