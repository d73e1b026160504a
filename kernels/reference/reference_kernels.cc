#include "kernels/reference/reference_kernels.h"

#include <cstring>
#include <string>

#include "graph/shape_inference.h"
#include "kernels/reference/reference_ops.h"

namespace tandem {

ReferenceKernel reference_kernel(OpType op) {
  switch (op) {  // generated from ops.def: nothing here changes when an op is added
#define TANDEM_OP(name, id) \
  case OpType::k##name:     \
    return ref::name;
#include "graph/ops.def"
#undef TANDEM_OP
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

Expected<std::vector<std::vector<char>>> run_reference_graph(const Graph& g,
                                                             const std::vector<float>& x) {
  std::vector<std::vector<char>> buf(g.tensors.size());
  for (size_t t = 0; t < g.tensors.size(); ++t)
    buf[t].resize(size_t(shape_elements(g.tensors[t].shape)) * dtype_size(g.tensors[t].dtype));
  std::vector<char>& in0 = buf[size_t(g.inputs.at(0))];
  if (in0.size() != x.size() * sizeof(float))
    return invalid_argument("run_reference_graph: input has " + std::to_string(x.size()) +
                            " floats, the graph's input " + std::to_string(in0.size() / 4));
  std::memcpy(in0.data(), x.data(), in0.size());
  for (const Node& n : g.nodes) {
    std::vector<const float*> in;
    for (int t : n.inputs)
      in.push_back(t < 0                       ? nullptr
                   : g.tensor(t).is_constant() ? g.tensor(t).data->f32()
                                               : reinterpret_cast<float*>(buf[size_t(t)].data()));
    std::vector<float*> out;
    for (int t : n.outputs) out.push_back(reinterpret_cast<float*>(buf[size_t(t)].data()));
    TANDEM_RETURN_IF_ERROR(run_reference_node(g, n, in.data(), out.data()));
  }
  return buf;
}

}  // namespace tandem
