// Activations and broadcasting binary ops: Relu, Clip, Sigmoid, HardSigmoid,
// HardSwish, Tanh, Erf, Sqrt, Gelu, LeakyRelu, Add, Sub, Mul, Div, Pow, plus
// Dropout/Identity -> Identity.
#include <limits>

#include "formats/onnx/op_mappers.h"

namespace tandem::onnx_import {
namespace {

Status map_unary(ImportContext& ctx, const onnx::NodeProto& n, OpType op, NodeAttrs a = {},
                 int max_outputs = 1) {
  TANDEM_ASSIGN_OR_RETURN(int x, ctx.input(n, 0));
  if (x < 0) return invalid_model(ImportContext::describe(n) + ": input is missing");
  return ctx.add_node(n, op, {x}, a, max_outputs).status();
}

Status map_relu(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_unary(ctx, n, OpType::kRelu);
}
Status map_sigmoid(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_unary(ctx, n, OpType::kSigmoid);
}
Status map_tanh(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_unary(ctx, n, OpType::kTanh);
}
Status map_erf(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_unary(ctx, n, OpType::kErf);
}
Status map_sqrt(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_unary(ctx, n, OpType::kSqrt);
}

// Gelu (opset 20): approximate "none" (erf) or "tanh".
Status map_gelu(ImportContext& ctx, const onnx::NodeProto& n) {
  const std::string mode = attr_string(n, "approximate", "none");
  NodeAttrs a;
  if (mode == "tanh") {
    a.gelu_approximate = GeluApproximate::kTanh;
  } else if (mode != "none") {
    return invalid_model(ImportContext::describe(n) + ": unknown approximate '" + mode +
                         "' (none or tanh)");
  }
  return map_unary(ctx, n, OpType::kGelu, a);
}

Status map_hard_swish(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_unary(ctx, n, OpType::kHardSwish);
}

Status map_leaky_relu(ImportContext& ctx, const onnx::NodeProto& n) {
  NodeAttrs a;
  a.alpha = attr_float(n, "alpha", 0.01f);
  return map_unary(ctx, n, OpType::kLeakyRelu, a);
}

Status map_hard_sigmoid(ImportContext& ctx, const onnx::NodeProto& n) {
  NodeAttrs a;
  a.alpha = attr_float(n, "alpha", 0.2f);
  a.beta = attr_float(n, "beta", 0.5f);
  return map_unary(ctx, n, OpType::kHardSigmoid, a);
}

// Clip's bounds: optional constant inputs since opset 11; absent means unbounded.
Status map_clip(ImportContext& ctx, const onnx::NodeProto& n) {
  NodeAttrs a;
  a.clip_min = -std::numeric_limits<float>::infinity();
  a.clip_max = std::numeric_limits<float>::infinity();
  if (ctx.has_input(n, 1)) {
    TANDEM_ASSIGN_OR_RETURN(a.clip_min, ctx.const_float(n, 1, "min"));
  }
  if (ctx.has_input(n, 2)) {
    TANDEM_ASSIGN_OR_RETURN(a.clip_max, ctx.const_float(n, 2, "max"));
  }
  return map_unary(ctx, n, OpType::kClip, a);
}

// Dropout is the identity at inference; its mask output must be unused.
Status map_identity(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_unary(ctx, n, OpType::kIdentity);
}

Status map_binary(ImportContext& ctx, const onnx::NodeProto& n, OpType op) {
  TANDEM_ASSIGN_OR_RETURN(int a, ctx.input(n, 0));
  TANDEM_ASSIGN_OR_RETURN(int b, ctx.input(n, 1));
  if (a < 0 || b < 0) return invalid_model(ImportContext::describe(n) + ": needs two inputs");
  return ctx.add_node(n, op, {a, b}, {}).status();
}

Status map_add(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_binary(ctx, n, OpType::kAdd);
}
Status map_sub(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_binary(ctx, n, OpType::kSub);
}
Status map_mul(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_binary(ctx, n, OpType::kMul);
}
Status map_div(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_binary(ctx, n, OpType::kDiv);
}

// Pow: the exponent may be integer data (Pow-12's T1); known at conversion time it
// becomes a float32 constant (exactly: exponents are small integers).
Status map_pow(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(int a, ctx.input(n, 0));
  if (a < 0 || !ctx.has_input(n, 1))
    return invalid_model(ImportContext::describe(n) + ": needs two inputs");
  const ConstValue* e = ctx.constant(n.input(1));
  int b = -1;
  if (e && !e->is_float) {
    std::vector<float> v(e->size());
    for (size_t k = 0; k < v.size(); ++k) v[k] = static_cast<float>(e->as_double(k));
    b = ctx.graph.add_constant(n.input(1), e->shape, std::move(v));
    ctx.alias(n.input(1), b);
  } else {
    TANDEM_ASSIGN_OR_RETURN(b, ctx.input(n, 1));
  }
  return ctx.add_node(n, OpType::kPow, {a, b}, {}).status();
}

// Sum with two inputs is Add; more would need a chain (not seen in torchvision exports).
Status map_sum(ImportContext& ctx, const onnx::NodeProto& n) {
  if (n.input_size() == 1) return map_unary(ctx, n, OpType::kIdentity);
  if (n.input_size() != 2)
    return unsupported(ImportContext::describe(n) + ": Sum of " + std::to_string(n.input_size()) +
                       " inputs");
  return map_binary(ctx, n, OpType::kAdd);
}

// Cast to float32 of a float32 run-time tensor is a no-op.
Status map_cast(ImportContext& ctx, const onnx::NodeProto& n) {
  if (attr_int(n, "to", 0) != onnx::TensorProto::FLOAT)
    return unsupported(ImportContext::describe(n) + ": casts run-time data to a non-float32 type");
  return map_unary(ctx, n, OpType::kIdentity);
}

}  // namespace

void add_elementwise_mappers(MapperTable& t) {
  t.add("Relu", map_relu);
  t.add("Sigmoid", map_sigmoid);
  t.add("Tanh", map_tanh);
  t.add("Erf", map_erf);
  t.add("Sqrt", map_sqrt);
  t.add("Gelu", map_gelu);
  t.add("HardSwish", map_hard_swish);
  t.add("HardSigmoid", map_hard_sigmoid);
  t.add("LeakyRelu", map_leaky_relu);
  t.add("Clip", map_clip);
  t.add("Identity", map_identity);
  t.add("Dropout", map_identity);
  t.add("Add", map_add);
  t.add("Sub", map_sub);
  t.add("Mul", map_mul);
  t.add("Div", map_div);
  t.add("Pow", map_pow);
  t.add("Sum", map_sum);
  t.add("Cast", map_cast);
}

}  // namespace tandem::onnx_import
