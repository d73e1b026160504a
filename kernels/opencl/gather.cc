// Gather with constant indices (ViT's class token x[:, 0]): the index table is
// uploaded once, one work item per output element.
#include <climits>

#include "kernels/opencl/op.h"

namespace tandem::ocl {

Expected<std::unique_ptr<Op>> make_gather_op(OpContext& ctx, const Node& n) {
  const Shape& xs = shape_of(ctx, n.inputs[0]);
  const Shape& ys = shape_of(ctx, n.outputs[0]);
  const size_t axis = size_t(n.attrs.axis);
  if (axis >= xs.size() || n.attrs.indices.empty()) return std::unique_ptr<Op>();
  const int64_t total = shape_elements(ys);
  if (total <= 0 || total > INT32_MAX || shape_elements(xs) > INT32_MAX)
    return std::unique_ptr<Op>();
  int64_t inner = 1;
  for (size_t k = axis + 1; k < xs.size(); ++k) inner *= xs[k];
  std::vector<int32_t> idx(n.attrs.indices.begin(), n.attrs.indices.end());
  DeviceTensor x, y, table;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  TANDEM_ASSIGN_OR_RETURN(table, ctx.upload_ints(n.name + ".indices", idx));
  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  TANDEM_ASSIGN_OR_RETURN(Launch l, make_launch(ctx, "gather", "gather", {size_t(total), 1, 1}, 1));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(l.kernel.get(), n.name, x.mem, x.offset, y.mem, y.offset,
                                         int(total), int(idx.size()), int(inner), int(xs[axis]),
                                         table.mem));
  op->launches.push_back(std::move(l));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
