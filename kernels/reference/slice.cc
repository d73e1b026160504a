// Slice with starts/ends/axes/steps resolved by slice_dims (ONNX clamping,
// negative steps walk backwards).
#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(Slice) {
  const Shape& xs = in_shape(g, n, 0);
  std::vector<SliceDim> dims;
  TANDEM_RETURN_IF_ERROR(slice_dims(n.attrs, xs, node_label(n), &dims));
  const Shape& ys = out_shape(g, n);
  const std::vector<int64_t> sx = row_major_strides(xs);
  // Input offset of output index 0 and input stride per output step.
  int64_t base = 0;
  std::vector<int64_t> step(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    base += dims[i].start * sx[i];
    step[i] = dims[i].step * sx[i];
  }
  const float* x = in[0] + base;
  float* y = out[0];
  const int64_t inner = ys.empty() ? 1 : ys.back();
  const int64_t inner_step = ys.empty() ? 0 : step.back();
  for_each_row(ys, step, step, [&](int64_t ox, int64_t) {
    for (int64_t i = 0; i < inner; ++i) y[i] = x[ox + i * inner_step];
    y += inner;
  });
  return Status();
}

}  // namespace tandem::ref
