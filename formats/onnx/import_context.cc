#include "formats/onnx/import_context.h"

namespace tandem::onnx_import {

std::string ImportContext::describe(const onnx::NodeProto& n) {
  return "node '" + n.name() + "' (" + n.op_type() + ")";
}

const ConstValue* ImportContext::constant(const std::string& name) const {
  auto it = constants.find(name);
  return it == constants.end() ? nullptr : &it->second;
}

const Shape* ImportContext::shape(const std::string& name) const {
  auto it = shapes.find(name);
  return it == shapes.end() ? nullptr : &it->second;
}

Expected<int> ImportContext::input(const onnx::NodeProto& n, int k) {
  if (!has_input(n, k)) return -1;
  const std::string& name = n.input(k);
  auto it = tensor_ids.find(name);
  if (it != tensor_ids.end()) return it->second;
  if (const ConstValue* c = constant(name)) {
    if (!c->is_float)
      return unsupported(describe(n) + ": input '" + name +
                         "' is integer data; Tandem runs float32 tensors only");
    int id = graph.add_constant(name, c->shape, c->f);
    tensor_ids[name] = id;
    return id;
  }
  return invalid_model(describe(n) + ": input '" + name + "' is not produced by any earlier node");
}

Expected<Shape> ImportContext::input_shape(const onnx::NodeProto& n, int k) const {
  if (!has_input(n, k))
    return invalid_model(describe(n) + ": input " + std::to_string(k) + " is missing");
  if (const Shape* s = shape(n.input(k))) return *s;
  if (const ConstValue* c = constant(n.input(k))) return c->shape;
  return unsupported(describe(n) + ": the shape of input '" + n.input(k) +
                     "' is unknown after ONNX shape inference (dynamic shapes are not supported)");
}

Expected<std::vector<int64_t>> ImportContext::const_ints(const onnx::NodeProto& n, int k,
                                                         const char* what) const {
  if (!has_input(n, k)) return invalid_model(describe(n) + ": input '" + what + "' is missing");
  const ConstValue* c = constant(n.input(k));
  if (!c)
    return unsupported(describe(n) + ": input '" + what + "' ('" + n.input(k) +
                       "') is computed at run time; Tandem needs it known at conversion time");
  std::vector<int64_t> v(c->size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = c->as_int(i);
  return v;
}

Expected<float> ImportContext::const_float(const onnx::NodeProto& n, int k,
                                           const char* what) const {
  const ConstValue* c = has_input(n, k) ? constant(n.input(k)) : nullptr;
  if (!c)
    return unsupported(describe(n) + ": input '" + what +
                       "' is computed at run time; Tandem needs it known at conversion time");
  if (c->size() != 1)
    return invalid_model(describe(n) + ": input '" + what + "' must hold one value");
  return static_cast<float>(c->as_double(0));
}

Expected<int> ImportContext::add_node(const onnx::NodeProto& n, OpType op, std::vector<int> inputs,
                                      NodeAttrs attrs, int max_outputs) {
  Node node;
  node.name = n.name().empty() ? n.op_type() + "_" + std::to_string(graph.nodes.size()) : n.name();
  node.op = op;
  node.inputs = std::move(inputs);
  node.attrs = std::move(attrs);
  for (int k = 0; k < n.output_size(); ++k) {
    const std::string& out = n.output(k);
    if (out.empty()) continue;
    if (k >= max_outputs) {
      if (readers.count(out))
        return unsupported(describe(n) + ": output " + std::to_string(k) + " ('" + out +
                           "') is used, but Tandem's " + std::string(op_name(op)) + " has only " +
                           std::to_string(max_outputs) + " output(s)");
      continue;
    }
    auto et = elem_types.find(out);
    if (et != elem_types.end() && et->second != onnx::TensorProto::FLOAT)
      return unsupported(describe(n) + ": output '" + out + "' is " + elem_type_name(et->second) +
                         "; Tandem runs float32 tensors only");
    if (tensor_ids.count(out))
      return invalid_model(describe(n) + ": output '" + out + "' is written twice");
    Tensor t;
    t.name = out;
    if (const Shape* s = shape(out)) t.shape = *s;
    int id = graph.add_tensor(std::move(t));
    tensor_ids[out] = id;
    while (static_cast<int>(node.outputs.size()) < k) node.outputs.push_back(-1);
    node.outputs.push_back(id);
  }
  graph.add_node(std::move(node));
  return static_cast<int>(graph.nodes.size()) - 1;
}

Expected<int> ImportContext::add_int8_node(const onnx::NodeProto& n, OpType op,
                                           std::vector<int> inputs, const Quantization& q,
                                           bool from_uint8) {
  if (n.output_size() < 1 || n.output(0).empty())
    return invalid_model(describe(n) + ": has no output");
  auto et = elem_types.find(n.output(0));
  const int32_t want = from_uint8 ? onnx::TensorProto::UINT8 : onnx::TensorProto::INT8;
  if (et != elem_types.end() && et->second != want)
    return unsupported(describe(n) + ": output '" + n.output(0) + "' is " +
                       elem_type_name(et->second) + ", its zero point " + elem_type_name(want));
  elem_types.erase(n.output(0));  // add_node checks float outputs
  TANDEM_ASSIGN_OR_RETURN(int idx, add_node(n, op, std::move(inputs), {}));
  Tensor& t = graph.tensor(graph.nodes[size_t(idx)].outputs[0]);
  t.dtype = DType::kInt8;
  t.quant = q;
  return idx;
}

const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t attr_int(const onnx::NodeProto& n, const char* name, int64_t def) {
  const auto* a = find_attr(n, name);
  return a ? a->i() : def;
}

float attr_float(const onnx::NodeProto& n, const char* name, float def) {
  const auto* a = find_attr(n, name);
  return a ? a->f() : def;
}

std::string attr_string(const onnx::NodeProto& n, const char* name, const std::string& def) {
  const auto* a = find_attr(n, name);
  return a ? a->s() : def;
}

std::vector<int64_t> attr_ints(const onnx::NodeProto& n, const char* name,
                               std::vector<int64_t> def) {
  const auto* a = find_attr(n, name);
  if (!a) return def;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

Expected<int64_t> normalize_axis(const onnx::NodeProto& n, int64_t axis, int64_t rank,
                                 bool inclusive) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a > (inclusive ? rank : rank - 1))
    return invalid_model(ImportContext::describe(n) + ": axis " + std::to_string(axis) +
                         " is out of range for rank " + std::to_string(rank));
  return a;
}

}  // namespace tandem::onnx_import
