// MaxPool and AveragePool (2-D, NCHW).
#include "kernels/opencl/op.h"

namespace tandem::ocl {

Expected<std::unique_ptr<Op>> make_pool2d_op(OpContext& ctx, const Node& n) {
  const Shape& xs = shape_of(ctx, n.inputs[0]);
  const Shape& ys = shape_of(ctx, n.outputs[0]);
  if (xs.size() != 4 || ys.size() != 4 || n.attrs.kernel_shape.size() != 2)
    return std::unique_ptr<Op>();
  if (n.outputs.size() > 1) return std::unique_ptr<Op>();  // MaxPool indices: reference only
  const NodeAttrs& at = n.attrs;
  auto attr = [](const std::vector<int64_t>& v, size_t i, int dflt) {
    return i < v.size() ? static_cast<int>(v[i]) : dflt;
  };
  const int N = dim(xs, 0), C = dim(xs, 1), H = dim(xs, 2), W = dim(xs, 3);
  const int OH = dim(ys, 2), OW = dim(ys, 3);
  const int KH = attr(at.kernel_shape, 0, 1), KW = attr(at.kernel_shape, 1, 1);
  const int SH = attr(at.strides, 0, 1), SW = attr(at.strides, 1, 1);
  const int DH = attr(at.dilations, 0, 1), DW = attr(at.dilations, 1, 1);
  const int PT = attr(at.pads, 0, 0), PL = attr(at.pads, 1, 0);
  const int PB = attr(at.pads, 2, 0), PR = attr(at.pads, 3, 0);
  DeviceTensor x, y;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  const std::array<size_t, 3> global{size_t(OH) * OW, size_t(C), size_t(N)};
  if (n.op == OpType::kMaxPool) {
    // 16 outputs of a row per work-item (vec_ops.cl): 5-10x fewer work-items on PoCL.
    const std::array<size_t, 3> rows{size_t(OW + 15) / 16, size_t(OH), size_t(N) * C};
    TANDEM_ASSIGN_OR_RETURN(Launch l, make_launch(ctx, "vec_ops", "maxpool2d_row16", rows, 3));
    TANDEM_RETURN_IF_ERROR(set_kernel_args(l.kernel.get(), n.name, x.mem, x.offset, y.mem, y.offset,
                                           H, W, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL));
    op->launches.push_back(std::move(l));
  } else {
    if (DH != 1 || DW != 1) return std::unique_ptr<Op>();
    TANDEM_ASSIGN_OR_RETURN(Launch l, make_launch(ctx, "pool2d", "avgpool2d", global, 3));
    TANDEM_RETURN_IF_ERROR(set_kernel_args(l.kernel.get(), n.name, x.mem, x.offset, y.mem, y.offset,
                                           C, H, W, OH, OW, KH, KW, SH, SW, PT, PL, PB, PR,
                                           at.count_include_pad ? 1 : 0));
    op->launches.push_back(std::move(l));
  }
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
