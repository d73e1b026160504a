#include "graph/quant_rules.h"

namespace tandem {
namespace {

Status fail(const std::string& what, const std::string& msg) {
  return invalid_model(what + ": " + msg);
}

// An int8 activation with one scale and zero point.
Status check_activation(const Graph& g, int id, const std::string& what, const char* role) {
  const Tensor& t = g.tensor(id);
  if (t.dtype != DType::kInt8)
    return fail(what, std::string(role) + " '" + t.name + "' is " + dtype_name(t.dtype) +
                          ", expected int8");
  if (!t.quant.per_tensor() || t.quant.zero_point.size() != 1)
    return fail(what, std::string(role) + " '" + t.name +
                          "' needs one scale and zero point (per-tensor quantization)");
  return Status();
}

// Weights: int8 constant, zero point 0, per tensor or per output channel (axis 0).
Status check_weights(const Graph& g, int id, const std::string& what) {
  const Tensor& t = g.tensor(id);
  if (!t.is_constant() || t.dtype != DType::kInt8 || t.quant.empty())
    return fail(what, "weights '" + t.name + "' must be a quantized int8 constant");
  if (!(t.quant.axis == -1 || t.quant.axis == 0))
    return fail(what, "weights '" + t.name + "' are quantized along axis " +
                          std::to_string(t.quant.axis) + ", only per output channel (0)");
  for (int32_t z : t.quant.zero_point)
    if (z != 0)
      return fail(what, "weights '" + t.name + "' are not symmetric (zero point " +
                            std::to_string(z) + ")");
  return Status();
}

Status check_bias(const Graph& g, int id, const std::string& what) {
  if (id < 0) return Status();
  const Tensor& t = g.tensor(id);
  if (!t.is_constant() || t.dtype != DType::kInt32)
    return fail(what, "bias '" + t.name + "' must be an int32 constant");
  return Status();
}

Status check_float(const Graph& g, int id, const std::string& what) {
  const Tensor& t = g.tensor(id);
  if (t.dtype != DType::kFloat32)
    return unsupported(what + ": '" + t.name + "' is " + dtype_name(t.dtype) +
                       ", only float32 is supported here");
  return Status();
}

Status check_inputs_int8(const Graph& g, const Node& n, const std::string& what) {
  for (int t : n.inputs)
    if (t >= 0) TANDEM_RETURN_IF_ERROR(check_activation(g, t, what, "input"));
  return Status();
}

Status check_quant_inputs(const Graph& g, const Node& n, const std::string& what) {
  auto in = [&](size_t k) { return k < n.inputs.size() ? n.inputs[k] : -1; };
  switch (n.op) {
    case OpType::kQuantizeLinear:
      return in(0) >= 0 ? check_float(g, in(0), what) : Status();
    case OpType::kDequantizeLinear: {
      if (in(0) < 0) return Status();
      const Tensor& t = g.tensor(in(0));
      if ((t.dtype != DType::kInt8 && t.dtype != DType::kInt32) || t.quant.empty())
        return fail(what, "input '" + t.name + "' must be a quantized int8 or int32 tensor");
      return Status();
    }
    case OpType::kQConv:
    case OpType::kQGemm:
      if (in(0) >= 0) TANDEM_RETURN_IF_ERROR(check_activation(g, in(0), what, "input"));
      if (in(1) >= 0) TANDEM_RETURN_IF_ERROR(check_weights(g, in(1), what));
      return check_bias(g, in(2), what);
    default:
      return check_inputs_int8(g, n, what);
  }
}

}  // namespace

bool op_is_quantized(OpType op) {
  switch (op) {
    case OpType::kQuantizeLinear:
    case OpType::kDequantizeLinear:
    case OpType::kQConv:
    case OpType::kQGemm:
    case OpType::kQAdd:
    case OpType::kQConcat:
    case OpType::kQMaxPool:
    case OpType::kQGlobalAveragePool:
      return true;
    default:
      return false;
  }
}

DType op_output_dtype(OpType op) {
  return op_is_quantized(op) && op != OpType::kDequantizeLinear ? DType::kInt8 : DType::kFloat32;
}

Status check_node_dtypes(const Graph& g, const Node& n, const std::string& what) {
  if (!op_is_quantized(n.op)) {
    for (int t : n.inputs)
      if (t >= 0) TANDEM_RETURN_IF_ERROR(check_float(g, t, what));
    for (int t : n.outputs)
      if (g.valid_tensor(t)) TANDEM_RETURN_IF_ERROR(check_float(g, t, what));
    return Status();
  }
  TANDEM_RETURN_IF_ERROR(check_quant_inputs(g, n, what));
  if (n.op == OpType::kQConv || n.op == OpType::kQGemm) {
    if (n.attrs.qmin < -128 || n.attrs.qmax > 127 || n.attrs.qmin > n.attrs.qmax)
      return fail(what, "output clamp [" + std::to_string(n.attrs.qmin) + ", " +
                            std::to_string(n.attrs.qmax) + "] is not inside [-128, 127]");
  }
  for (int t : n.outputs) {
    if (!g.valid_tensor(t)) continue;
    if (op_output_dtype(n.op) == DType::kInt8)
      TANDEM_RETURN_IF_ERROR(check_activation(g, t, what, "output"));
    else
      TANDEM_RETURN_IF_ERROR(check_float(g, t, what));
  }
  return Status();
}

}  // namespace tandem
