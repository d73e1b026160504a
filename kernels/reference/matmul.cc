// MatMul with numpy rules: 1-D operands are promoted (and the added dim
// dropped), batch dims broadcast; each matrix product runs on Eigen. Honours
// the fused activation.
#include <Eigen/Core>

#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(MatMul) {
  using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Shape as = in_shape(g, n, 0);
  Shape bs = in_shape(g, n, 1);
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const int64_t m = as[as.size() - 2], k = as.back(), cols = bs.back();
  const Shape a_batch(as.begin(), as.end() - 2);
  const Shape b_batch(bs.begin(), bs.end() - 2);
  Shape batch;
  if (!broadcast_shapes(a_batch, b_batch, &batch))
    return invalid_model(node_label(n) + ": MatMul batch dims do not broadcast");
  // Strides in whole matrices over the broadcast batch dims.
  const std::vector<int64_t> sa = broadcast_strides(a_batch, batch);
  const std::vector<int64_t> sb = broadcast_strides(b_batch, batch);
  // One more (unit) dim lets for_each_row visit every batch index as a row.
  Shape walk = batch;
  walk.push_back(1);
  std::vector<int64_t> wa = sa, wb = sb;
  wa.push_back(0);
  wb.push_back(0);
  float* y = out[0];
  const int64_t count = m * cols;
  for_each_row(walk, wa, wb, [&](int64_t ia, int64_t ib) {
    Eigen::Map<const RowMat> a(in[0] + ia * m * k, m, k);
    Eigen::Map<const RowMat> b(in[1] + ib * k * cols, k, cols);
    Eigen::Map<RowMat> yt(y, m, cols);
    if (count > 0) yt.noalias() = a * b;
    y += count;
  });
  apply_activation(out[0], elements(out_shape(g, n)), n.attrs.activation);
  return Status();
}

}  // namespace tandem::ref
