// Transpose of up to 6 dims (also channel shuffle, which the graph spells as
// Reshape + Transpose + Reshape).
#include "kernels/opencl/op.h"

namespace tandem::ocl {

Expected<std::unique_ptr<Op>> make_transpose_op(OpContext& ctx, const Node& n) {
  const Shape& xs = shape_of(ctx, n.inputs[0]);
  const size_t rank = xs.size();
  if (rank == 0 || rank > 6) return std::unique_ptr<Op>();
  std::vector<int64_t> perm = n.attrs.perm;
  if (perm.empty())
    for (size_t i = 0; i < rank; ++i) perm.push_back(int64_t(rank - 1 - i));
  if (perm.size() != rank) return std::unique_ptr<Op>();
  std::vector<int> in_stride(rank, 1);
  for (size_t i = rank - 1; i > 0; --i) in_stride[i - 1] = in_stride[i] * static_cast<int>(xs[i]);
  std::array<int, 6> d{1, 1, 1, 1, 1, 1}, s{0, 0, 0, 0, 0, 0};
  for (size_t j = 0; j < rank; ++j) {
    d[6 - rank + j] = static_cast<int>(xs[size_t(perm[j])]);
    s[6 - rank + j] = in_stride[size_t(perm[j])];
  }
  DeviceTensor x, y;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  const int total = static_cast<int>(shape_elements(xs));
  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  TANDEM_ASSIGN_OR_RETURN(Launch l,
                          make_launch(ctx, "transpose", "transpose", {size_t(total), 1, 1}, 1));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(l.kernel.get(), n.name, x.mem, x.offset, y.mem, y.offset,
                                         total, d[1], d[2], d[3], d[4], d[5], s[0], s[1], s[2],
                                         s[3], s[4], s[5]));
  op->launches.push_back(std::move(l));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
