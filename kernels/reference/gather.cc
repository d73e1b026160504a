// Gather along attrs.axis: for each outer index, the input's inner blocks at
// attrs.indices, in order.
#include <cstring>

#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(Gather) {
  const Shape& xs = in_shape(g, n, 0);
  const size_t axis = static_cast<size_t>(n.attrs.axis);
  const int64_t outer = elements(Shape(xs.begin(), xs.begin() + static_cast<int64_t>(axis)));
  const int64_t inner = elements(Shape(xs.begin() + static_cast<int64_t>(axis) + 1, xs.end()));
  const int64_t dim = xs[axis];
  float* y = out[0];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j : n.attrs.indices) {
      std::memcpy(y, in[0] + (o * dim + j) * inner, size_t(inner) * sizeof(float));
      y += inner;
    }
  return Status();
}

}  // namespace tandem::ref
