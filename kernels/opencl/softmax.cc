// Softmax along one axis.
#include "kernels/opencl/op.h"

namespace tandem::ocl {

Expected<std::unique_ptr<Op>> make_softmax_op(OpContext& ctx, const Node& n) {
  const Shape& xs = shape_of(ctx, n.inputs[0]);
  int64_t axis = n.attrs.axis < 0 ? n.attrs.axis + int64_t(xs.size()) : n.attrs.axis;
  if (xs.empty() || axis < 0 || axis >= int64_t(xs.size())) return std::unique_ptr<Op>();
  int outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= static_cast<int>(xs[size_t(i)]);
  for (size_t i = size_t(axis) + 1; i < xs.size(); ++i) inner *= static_cast<int>(xs[i]);
  const int len = static_cast<int>(xs[size_t(axis)]);
  DeviceTensor x, y;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  TANDEM_ASSIGN_OR_RETURN(Launch l,
                          make_launch(ctx, "softmax", "softmax", {size_t(outer) * inner, 1, 1}, 1));
  TANDEM_RETURN_IF_ERROR(
      set_kernel_args(l.kernel.get(), n.name, x.mem, x.offset, y.mem, y.offset, outer, len, inner));
  op->launches.push_back(std::move(l));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
