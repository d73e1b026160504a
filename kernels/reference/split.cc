// Split along attrs.axis into the outputs' sizes (inverse of Concat).
#include <cstring>

#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(Split) {
  const Shape& xs = in_shape(g, n, 0);
  int64_t axis = 0;
  if (!normalize_axis(n.attrs.axis, static_cast<int64_t>(xs.size()), &axis))
    return invalid_model(node_label(n) + ": Split axis out of range");
  const size_t ax = static_cast<size_t>(axis);
  const int64_t outer = dims_product(xs, 0, ax);
  const int64_t inner = dims_product(xs, ax + 1, xs.size());
  const float* x = in[0];
  for (int64_t o = 0; o < outer; ++o) {
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      const int64_t block = out_shape(g, n, k)[ax] * inner;
      if (block == 0) continue;
      std::memcpy(out[k] + o * block, x, static_cast<size_t>(block) * sizeof(float));
      x += block;
    }
  }
  return Status();
}

}  // namespace tandem::ref
