// Add, Sub, Mul, Div, Pow with numpy broadcasting (up to 4 dims) and fused clamp.
#include "kernels/opencl/op.h"

namespace tandem::ocl {
namespace {

// Element strides of `s` aligned right to a rank-4 output; broadcast dims get 0.
std::array<int, 4> broadcast_strides(const Shape& s, const std::array<int, 4>& out) {
  std::array<int, 4> strides{0, 0, 0, 0};
  int stride = 1;
  for (size_t i = 0; i < s.size(); ++i) {
    const size_t src = s.size() - 1 - i, dst = 3 - i;
    strides[dst] = (s[src] == 1 && out[dst] != 1) ? 0 : stride;
    stride *= static_cast<int>(s[src]);
  }
  return strides;
}

}  // namespace

Expected<std::unique_ptr<Op>> make_elementwise_op(OpContext& ctx, const Node& n) {
  const Shape& as = shape_of(ctx, n.inputs[0]);
  const Shape& bs = shape_of(ctx, n.inputs[1]);
  const Shape& ys = shape_of(ctx, n.outputs[0]);
  if (ys.size() > 4 || as.size() > ys.size() || bs.size() > ys.size()) return std::unique_ptr<Op>();
  std::array<int, 4> out{1, 1, 1, 1};
  for (size_t i = 0; i < ys.size(); ++i) out[4 - ys.size() + i] = static_cast<int>(ys[i]);
  const std::array<int, 4> sa = broadcast_strides(as, out), sb = broadcast_strides(bs, out);
  int op_code = 0;
  switch (n.op) {
    case OpType::kAdd:
      op_code = 0;
      break;
    case OpType::kSub:
      op_code = 1;
      break;
    case OpType::kMul:
      op_code = 2;
      break;
    case OpType::kPow:
      op_code = 4;
      break;
    default:
      op_code = 3;
      break;
  }
  DeviceTensor a, b, y;
  TANDEM_ASSIGN_OR_RETURN(a, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(b, ctx.tensor(n.inputs[1]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  const int total = static_cast<int>(shape_elements(ys));
  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  TANDEM_ASSIGN_OR_RETURN(Launch l,
                          make_launch(ctx, "elementwise", "binary", {size_t(total), 1, 1}, 1));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(l.kernel.get(), n.name, a.mem, a.offset, sa[0], sa[1],
                                         sa[2], sa[3], b.mem, b.offset, sb[0], sb[1], sb[2], sb[3],
                                         y.mem, y.offset, out[1], out[2], out[3], total, op_code,
                                         n.attrs.activation.min, n.attrs.activation.max));
  op->launches.push_back(std::move(l));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
