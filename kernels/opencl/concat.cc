// Concat: producers planned into their slice of the output write there
// directly (nothing to do at run time); other inputs are copied into place.
#include "kernels/opencl/copy_rect.h"

namespace tandem::ocl {

Expected<std::unique_ptr<Op>> make_concat_op(OpContext& ctx, const Node& n) {
  const Shape& ys = shape_of(ctx, n.outputs[0]);
  const size_t axis = static_cast<size_t>(n.attrs.axis);
  if (axis >= ys.size()) return std::unique_ptr<Op>();
  size_t outer = 1, out_inner = 1;
  for (size_t i = 0; i < ys.size(); ++i) (i < axis ? outer : out_inner) *= size_t(ys[i]);
  DeviceTensor y;
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  auto op = std::make_unique<CopyRectOp>();
  op->node_name = n.name;
  op->element_size = ctx.element_size();
  size_t cum = 0;
  for (int t : n.inputs) {
    const Shape& xs = shape_of(ctx, t);
    size_t inner = 1;
    for (size_t i = axis; i < xs.size(); ++i) inner *= size_t(xs[i]);
    DeviceTensor x;
    TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(t));
    RectCopy c;
    c.src = x;
    c.dst = DeviceTensor{y.mem, y.offset + static_cast<int>(cum)};
    c.rows = outer;
    c.row_elems = inner;
    c.src_pitch = inner;
    c.dst_pitch = out_inner;
    const bool in_place = outer == 1 && x.mem == c.dst.mem && x.offset == c.dst.offset;
    if (!in_place && inner > 0) TANDEM_RETURN_IF_ERROR(op->add(ctx, c));
    cum += inner;
  }
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
