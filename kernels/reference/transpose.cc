// Transpose by attrs.perm (reversed dims when empty): output dim j reads
// input dim perm[j].
#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(Transpose) {
  const Shape& xs = in_shape(g, n, 0);
  const Shape& ys = out_shape(g, n);
  std::vector<int64_t> perm = n.attrs.perm;
  if (perm.empty())
    for (size_t i = xs.size(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  const std::vector<int64_t> sx = row_major_strides(xs);
  std::vector<int64_t> stride(ys.size());
  for (size_t j = 0; j < ys.size(); ++j) stride[j] = sx[static_cast<size_t>(perm[j])];
  const float* x = in[0];
  float* y = out[0];
  const int64_t inner = ys.empty() ? 1 : ys.back();
  const int64_t inner_stride = ys.empty() ? 0 : stride.back();
  for_each_row(ys, stride, stride, [&](int64_t ox, int64_t) {
    for (int64_t i = 0; i < inner; ++i) y[i] = x[ox + i * inner_stride];
    y += inner;
  });
  return Status();
}

}  // namespace tandem::ref
