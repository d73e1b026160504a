// Gemm: Y = alpha * A' * B' + beta * C (C broadcast to [M, N]) via Eigen,
// then the fused activation. Inputs A, B, optional C.
#include <Eigen/Core>

#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(Gemm) {
  using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Shape& as = in_shape(g, n, 0);
  const Shape& bs = in_shape(g, n, 1);
  const Shape& ys = out_shape(g, n);
  const int64_t m = ys[0], cols = ys[1];
  Eigen::Map<const RowMat> a(in[0], as[0], as[1]);
  Eigen::Map<const RowMat> b(in[1], bs[0], bs[1]);
  Eigen::Map<RowMat> y(out[0], m, cols);
  const float alpha = n.attrs.alpha;
  if (m > 0 && cols > 0) {
    if (!n.attrs.trans_a && !n.attrs.trans_b) {
      y.noalias() = alpha * (a * b);
    } else if (!n.attrs.trans_a) {
      y.noalias() = alpha * (a * b.transpose());
    } else if (!n.attrs.trans_b) {
      y.noalias() = alpha * (a.transpose() * b);
    } else {
      y.noalias() = alpha * (a.transpose() * b.transpose());
    }
  }
  if (const float* c = optional_input(n, in, 2)) {
    const std::vector<int64_t> sc = broadcast_strides(in_shape(g, n, 2), ys);
    const float beta = n.attrs.beta;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < cols; ++j) y(i, j) += beta * c[i * sc[0] + j * sc[1]];
  }
  apply_activation(out[0], m * cols, n.attrs.activation);
  return Status();
}

}  // namespace tandem::ref
