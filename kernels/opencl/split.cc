// Split: each output copied out of its slice of the input.
#include "kernels/opencl/copy_rect.h"

namespace tandem::ocl {

Expected<std::unique_ptr<Op>> make_split_op(OpContext& ctx, const Node& n) {
  const Shape& xs = shape_of(ctx, n.inputs[0]);
  const size_t axis = static_cast<size_t>(n.attrs.axis);
  if (axis >= xs.size()) return std::unique_ptr<Op>();
  size_t outer = 1, in_inner = 1;
  for (size_t i = 0; i < xs.size(); ++i) (i < axis ? outer : in_inner) *= size_t(xs[i]);
  DeviceTensor x;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  auto op = std::make_unique<CopyRectOp>();
  op->node_name = n.name;
  op->element_size = ctx.element_size();
  size_t cum = 0;
  for (int t : n.outputs) {
    const Shape& ys = shape_of(ctx, t);
    size_t inner = 1;
    for (size_t i = axis; i < ys.size(); ++i) inner *= size_t(ys[i]);
    DeviceTensor y;
    TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(t));
    RectCopy c;
    c.src = DeviceTensor{x.mem, x.offset + static_cast<int>(cum)};
    c.dst = y;
    c.rows = outer;
    c.row_elems = inner;
    c.src_pitch = in_inner;
    c.dst_pitch = inner;
    if (inner > 0) TANDEM_RETURN_IF_ERROR(op->add(ctx, c));
    cum += inner;
  }
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
