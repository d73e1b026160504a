// Pad (constant, reflect, edge) of up to 4 dims; negative pads go to the reference.
#include "kernels/opencl/op.h"

namespace tandem::ocl {

Expected<std::unique_ptr<Op>> make_pad_op(OpContext& ctx, const Node& n) {
  const Shape& xs = shape_of(ctx, n.inputs[0]);
  const Shape& ys = shape_of(ctx, n.outputs[0]);
  const size_t rank = xs.size();
  if (rank == 0 || rank > 4 || n.attrs.pads.size() != 2 * rank) return std::unique_ptr<Op>();
  std::array<int, 4> in{1, 1, 1, 1}, out{1, 1, 1, 1}, before{0, 0, 0, 0};
  for (size_t i = 0; i < rank; ++i) {
    if (n.attrs.pads[i] < 0 || n.attrs.pads[rank + i] < 0) return std::unique_ptr<Op>();
    in[4 - rank + i] = static_cast<int>(xs[i]);
    out[4 - rank + i] = static_cast<int>(ys[i]);
    before[4 - rank + i] = static_cast<int>(n.attrs.pads[i]);
  }
  DeviceTensor x, y;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  const int total = static_cast<int>(shape_elements(ys));
  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  TANDEM_ASSIGN_OR_RETURN(Launch l, make_launch(ctx, "pad", "pad", {size_t(total), 1, 1}, 1));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(l.kernel.get(), n.name, x.mem, x.offset, y.mem, y.offset,
                                         total, out[1], out[2], out[3], in[0], in[1], in[2], in[3],
                                         before[0], before[1], before[2], before[3],
                                         static_cast<int>(n.attrs.pad_mode), n.attrs.pad_value));
  op->launches.push_back(std::move(l));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
