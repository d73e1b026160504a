// GlobalAveragePool, GlobalMaxPool, and ReduceMean over trailing axes.
#include <algorithm>
#include "kernels/opencl/op.h"

namespace tandem::ocl {

Expected<std::unique_ptr<Op>> make_global_pool_op(OpContext& ctx, const Node& n) {
  const Shape& xs = shape_of(ctx, n.inputs[0]);
  if (xs.size() < 2) return std::unique_ptr<Op>();
  size_t first_reduced = 2;
  if (n.op == OpType::kReduceMean) {
    // Only a contiguous run of trailing axes reduces to rows of the buffer.
    std::vector<int64_t> axes = n.attrs.axes;
    std::sort(axes.begin(), axes.end());
    if (axes.empty()) return std::unique_ptr<Op>();
    for (size_t i = 0; i < axes.size(); ++i)
      if (axes[i] != static_cast<int64_t>(xs.size() - axes.size() + i))
        return std::unique_ptr<Op>();
    first_reduced = xs.size() - axes.size();
  }
  int outer = 1, inner = 1;
  for (size_t i = 0; i < xs.size(); ++i)
    (i < first_reduced ? outer : inner) *= static_cast<int>(xs[i]);
  DeviceTensor x, y;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  const char* kernel = n.op == OpType::kGlobalMaxPool ? "global_max" : "global_avg";
  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  TANDEM_ASSIGN_OR_RETURN(Launch l,
                          make_launch(ctx, "global_pool", kernel, {size_t(outer), 1, 1}, 1));
  TANDEM_RETURN_IF_ERROR(
      set_kernel_args(l.kernel.get(), n.name, x.mem, x.offset, y.mem, y.offset, outer, inner));
  op->launches.push_back(std::move(l));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
