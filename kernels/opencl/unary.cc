// Unary activations: Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Tanh, LeakyRelu, Erf,
// Sqrt, Gelu (erf and tanh forms).
#include <limits>

#include "kernels/opencl/op.h"

namespace tandem::ocl {

Expected<std::unique_ptr<Op>> make_unary_op(OpContext& ctx, const Node& n) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  int code = 0;
  float alpha = n.attrs.alpha, beta = n.attrs.beta, lo = -kInf, hi = kInf;
  switch (n.op) {
    case OpType::kRelu:
      lo = 0.0f;
      break;
    case OpType::kClip:
      lo = n.attrs.clip_min;
      hi = n.attrs.clip_max;
      break;
    case OpType::kSigmoid:
      code = 1;
      break;
    case OpType::kHardSigmoid:
      code = 2;
      break;
    case OpType::kHardSwish:
      code = 3;
      break;
    case OpType::kTanh:
      code = 4;
      break;
    case OpType::kLeakyRelu:
      code = 5;
      break;
    case OpType::kErf:
      code = 6;
      break;
    case OpType::kSqrt:
      code = 7;
      break;
    case OpType::kGelu:
      code = n.attrs.gelu_approximate == GeluApproximate::kTanh ? 9 : 8;
      break;
    default:
      return std::unique_ptr<Op>();
  }
  DeviceTensor x, y;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  const int total = static_cast<int>(shape_elements(shape_of(ctx, n.outputs[0])));
  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  TANDEM_ASSIGN_OR_RETURN(Launch l, make_launch(ctx, "unary", "unary", {size_t(total), 1, 1}, 1));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(l.kernel.get(), n.name, x.mem, x.offset, y.mem, y.offset,
                                         total, code, alpha, beta, lo, hi));
  op->launches.push_back(std::move(l));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
