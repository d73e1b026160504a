// Softmax along one axis (ONNX opset 13 semantics), max-subtracted, sums in
// double.
#include <cmath>

#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(Softmax) {
  const Shape& xs = in_shape(g, n, 0);
  int64_t axis = 0;
  if (!normalize_axis(n.attrs.axis, static_cast<int64_t>(xs.size()), &axis))
    return invalid_model(node_label(n) + ": Softmax axis out of range");
  const size_t ax = static_cast<size_t>(axis);
  const int64_t outer = dims_product(xs, 0, ax);
  const int64_t len = xs[ax];
  const int64_t inner = dims_product(xs, ax + 1, xs.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const float* x = in[0] + o * len * inner + i;
      float* y = out[0] + o * len * inner + i;
      float mx = -INFINITY;
      for (int64_t k = 0; k < len; ++k) mx = std::max(mx, x[k * inner]);
      double sum = 0.0;
      for (int64_t k = 0; k < len; ++k) {
        const float e = std::exp(x[k * inner] - mx);
        y[k * inner] = e;
        sum += e;
      }
      const float inv = static_cast<float>(1.0 / sum);
      for (int64_t k = 0; k < len; ++k) y[k * inner] *= inv;
    }
  }
  return Status();
}

}  // namespace tandem::ref
