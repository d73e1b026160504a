// Concat along attrs.axis: for each outer index, the inputs' blocks in turn.
#include <cstring>

#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(Concat) {
  const Shape& ys = out_shape(g, n);
  int64_t axis = 0;
  if (!normalize_axis(n.attrs.axis, static_cast<int64_t>(ys.size()), &axis))
    return invalid_model(node_label(n) + ": Concat axis out of range");
  const size_t ax = static_cast<size_t>(axis);
  const int64_t outer = dims_product(ys, 0, ax);
  const int64_t inner = dims_product(ys, ax + 1, ys.size());
  float* y = out[0];
  for (int64_t o = 0; o < outer; ++o) {
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const int64_t block = in_shape(g, n, i)[ax] * inner;
      if (block == 0) continue;
      std::memcpy(y, in[i] + o * block, static_cast<size_t>(block) * sizeof(float));
      y += block;
    }
  }
  return Status();
}

}  // namespace tandem::ref
