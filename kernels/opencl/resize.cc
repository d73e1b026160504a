// Resize (nearest, bilinear) of 4-D NCHW tensors along H and W: one work item
// per output element, reading the per-axis taps the host computed with the
// reference's rules (resize_coords.cc), uploaded as 32-bit integers.
#include <cstring>

#include "kernels/opencl/op.h"
#include "kernels/reference/resize_coords.h"

namespace tandem::ocl {

Expected<std::unique_ptr<Op>> make_resize_op(OpContext& ctx, const Node& n) {
  const Shape& xs = shape_of(ctx, n.inputs[0]);
  const Shape& ys = shape_of(ctx, n.outputs[0]);
  if (xs.size() != 4 || ys.size() != 4) return std::unique_ptr<Op>();
  const int64_t total = shape_elements(ys);
  if (total <= 0 || total > INT32_MAX || shape_elements(xs) > INT32_MAX)
    return std::unique_ptr<Op>();
  std::vector<int32_t> taps;
  for (size_t axis : {size_t(2), size_t(3)}) {
    for (const ref::ResizeTap& t : ref::resize_taps(n.attrs, axis, xs[axis])) {
      int32_t w = 0;
      std::memcpy(&w, &t.w, sizeof w);
      taps.insert(taps.end(), {t.i0, t.i1, w});
    }
  }
  DeviceTensor x, y, table;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  TANDEM_ASSIGN_OR_RETURN(table, ctx.upload_ints(n.name + ".taps", taps));
  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  TANDEM_ASSIGN_OR_RETURN(Launch l, make_launch(ctx, "resize", "resize", {size_t(total), 1, 1}, 1));
  const int linear = n.attrs.resize_mode == ResizeMode::kLinear ? 1 : 0;
  TANDEM_RETURN_IF_ERROR(set_kernel_args(l.kernel.get(), n.name, x.mem, x.offset, y.mem, y.offset,
                                         int(total), int(xs[2]), int(xs[3]), int(ys[2]), int(ys[3]),
                                         table.mem, linear));
  op->launches.push_back(std::move(l));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
