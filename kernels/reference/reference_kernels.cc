#include "kernels/reference/reference_kernels.h"

#include <string>

#include "graph/shape_inference.h"
#include "kernels/reference/reference_ops.h"

namespace tandem {

ReferenceKernel reference_kernel(OpType op) {
  switch (op) {
    case OpType::kConv:
      return ref::conv;
    case OpType::kBatchNormalization:
      return ref::batch_norm;
    case OpType::kRelu:
      return ref::relu;
    case OpType::kClip:
      return ref::clip;
    case OpType::kSigmoid:
      return ref::sigmoid;
    case OpType::kHardSigmoid:
      return ref::hard_sigmoid;
    case OpType::kHardSwish:
      return ref::hard_swish;
    case OpType::kAdd:
      return ref::add;
    case OpType::kSub:
      return ref::sub;
    case OpType::kMul:
      return ref::mul;
    case OpType::kDiv:
      return ref::div;
    case OpType::kMaxPool:
      return ref::max_pool;
    case OpType::kAveragePool:
      return ref::average_pool;
    case OpType::kGlobalAveragePool:
      return ref::global_average_pool;
    case OpType::kReduceMean:
      return ref::reduce_mean;
    case OpType::kConcat:
      return ref::concat;
    case OpType::kSplit:
      return ref::split;
    case OpType::kSlice:
      return ref::slice;
    case OpType::kTranspose:
      return ref::transpose;
    case OpType::kReshape:
      return ref::copy;
    case OpType::kFlatten:
      return ref::copy;
    case OpType::kGemm:
      return ref::gemm;
    case OpType::kMatMul:
      return ref::matmul;
    case OpType::kSoftmax:
      return ref::softmax;
    case OpType::kPad:
      return ref::pad;
    case OpType::kIdentity:
      return ref::copy;
    case OpType::kGlobalMaxPool:
      return ref::global_max_pool;
    case OpType::kTanh:
      return ref::tanh;
    case OpType::kLeakyRelu:
      return ref::leaky_relu;
  }
  return nullptr;
}

Status check_reference_node(const Graph& g, const Node& n) {
  if (!reference_kernel(n.op))
    return unsupported("node '" + n.name + "': no reference kernel for op " +
                       std::string(op_name(n.op)));
  std::vector<Shape> shapes;
  TANDEM_RETURN_IF_ERROR(infer_node_shapes(g, n, &shapes));
  for (size_t k = 0; k < n.outputs.size(); ++k)
    if (!g.valid_tensor(n.outputs[k]) || g.tensor(n.outputs[k]).shape != shapes[k])
      return invalid_model("node '" + n.name + "': output " + std::to_string(k) +
                           " is missing or has a shape other than " + shape_to_string(shapes[k]));
  return Status();
}

Status run_reference_node(const Graph& g, const Node& n, const float* const* inputs,
                          float* const* outputs) {
  ReferenceKernel kernel = reference_kernel(n.op);
  if (!kernel)
    return unsupported("node '" + n.name + "': no reference kernel for op " +
                       std::string(op_name(n.op)));
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    if (n.inputs[i] < 0) continue;
    if (!g.valid_tensor(n.inputs[i]))
      return invalid_model("node '" + n.name + "': input " + std::to_string(i) + " does not exist");
    if (!inputs[i] && shape_elements(g.tensor(n.inputs[i]).shape) != 0)
      return internal_error("node '" + n.name + "': no buffer for input '" +
                            g.tensor(n.inputs[i]).name + "'");
  }
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    if (!g.valid_tensor(n.outputs[i]))
      return invalid_model("node '" + n.name + "': output " + std::to_string(i) +
                           " does not exist");
    if (!outputs[i] && shape_elements(g.tensor(n.outputs[i]).shape) != 0)
      return internal_error("node '" + n.name + "': no buffer for output '" +
                            g.tensor(n.outputs[i]).name + "'");
  }
  return kernel(g, n, inputs, outputs);
}

}  // namespace tandem
