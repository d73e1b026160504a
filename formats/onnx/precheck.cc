// Checks ONNX's own shape inference does not make: libonnx 1.12's
// convPoolShapeInference reads out of bounds when a Conv/Pool's attribute
// lengths disagree with its kernel rank (found by tests' byte mutations).
#include <unordered_map>

#include "formats/onnx/import_context.h"
#include "formats/onnx/precheck.h"

namespace tandem::onnx_import {
namespace {

Status check_window_node(const onnx::NodeProto& n,
                         const std::unordered_map<std::string, const onnx::TensorProto*>& inits,
                         const std::unordered_map<std::string, int>& known_ranks) {
  auto bad = [&](const std::string& why) {
    return invalid_model(ImportContext::describe(n) + ": " + why);
  };
  const bool conv = n.op_type() == "Conv";
  if (n.input_size() < (conv ? 2 : 1) || n.input(0).empty() || (conv && n.input(1).empty()))
    return bad("missing inputs");
  int64_t spatial = -1;
  std::vector<int64_t> kernel = attr_ints(n, "kernel_shape");
  if (find_attr(n, "kernel_shape")) spatial = static_cast<int64_t>(kernel.size());
  if (conv) {
    auto it = inits.find(n.input(1));
    if (it != inits.end()) {
      int64_t wrank = it->second->dims_size();
      if (wrank < 3) return bad("weight has rank " + std::to_string(wrank));
      if (spatial >= 0 && spatial != wrank - 2)
        return bad("kernel_shape does not match the weight's rank");
      spatial = wrank - 2;
    }
  } else if (spatial <= 0) {
    return bad("kernel_shape is required");
  }
  if (spatial == 0) return bad("kernel_shape is empty");
  auto rank = known_ranks.find(n.input(0));
  if (rank != known_ranks.end() && spatial >= 0 && rank->second != spatial + 2)
    return bad("input '" + n.input(0) + "' has rank " + std::to_string(rank->second) +
               ", the kernel needs " + std::to_string(spatial + 2));
  for (int64_t k : kernel)
    if (k <= 0) return bad("kernel_shape must be positive");
  for (const char* name : {"strides", "dilations"}) {
    if (!find_attr(n, name)) continue;
    std::vector<int64_t> v = attr_ints(n, name);
    if (spatial >= 0 && static_cast<int64_t>(v.size()) != spatial)
      return bad(std::string(name) + " has " + std::to_string(v.size()) + " entries for a " +
                 std::to_string(spatial) + "-D kernel");
    for (int64_t x : v)
      if (x <= 0) return bad(std::string(name) + " must be positive");
  }
  if (find_attr(n, "pads")) {
    std::vector<int64_t> p = attr_ints(n, "pads");
    if (spatial >= 0 && static_cast<int64_t>(p.size()) != 2 * spatial)
      return bad("pads has " + std::to_string(p.size()) + " entries for a " +
                 std::to_string(spatial) + "-D kernel");
    for (int64_t x : p)
      if (x < 0) return bad("negative pads");
  }
  return Status();
}

// Bytes per element of an ONNX data type with fixed size; 0 for others (strings).
size_t onnx_element_size(int32_t type) {
  switch (type) {
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::UINT32:
      return 4;
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::UINT64:
    case onnx::TensorProto::COMPLEX64:
      return 8;
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
      return 2;
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL:
      return 1;
    case onnx::TensorProto::COMPLEX128:
      return 16;
    default:
      return 0;
  }
}

// libonnx 1.12's ParseData copies raw_data into a vector sized by whole
// elements and overflows when the byte count is not a multiple of the element
// size (libFuzzer finding): refuse such tensors before shape inference.
Status check_raw_data(const onnx::TensorProto& t, const std::string& where) {
  if (!t.has_raw_data()) return Status();
  const size_t es = onnx_element_size(t.data_type());
  if (es == 0) return Status();
  if (t.raw_data().size() % es != 0)
    return invalid_model(
        where + ": tensor '" + t.name() + "' has " + std::to_string(t.raw_data().size()) +
        " bytes of raw data, not a whole number of " + std::to_string(es) + "-byte elements");
  return Status();
}

}  // namespace

Status precheck_graph(const std::string& path, const onnx::GraphProto& g) {
  std::unordered_map<std::string, const onnx::TensorProto*> inits;
  for (const auto& t : g.initializer()) inits[t.name()] = &t;
  // Ranks known before inference: graph inputs and recorded value_info.
  std::unordered_map<std::string, int> ranks;
  for (const auto* list : {&g.input(), &g.value_info()})
    for (const auto& v : *list)
      if (v.type().has_tensor_type() && v.type().tensor_type().has_shape())
        ranks[v.name()] = v.type().tensor_type().shape().dim_size();
  for (const auto& t : g.initializer())
    TANDEM_RETURN_IF_ERROR(check_raw_data(t, path + ": initializer"));
  for (const auto& n : g.node())
    for (const auto& a : n.attribute()) {
      if (a.has_t())
        TANDEM_RETURN_IF_ERROR(check_raw_data(a.t(), path + ": node '" + n.name() + "'"));
      for (const auto& t : a.tensors())
        TANDEM_RETURN_IF_ERROR(check_raw_data(t, path + ": node '" + n.name() + "'"));
    }
  for (const auto& n : g.node()) {
    const std::string& op = n.op_type();
    if (op == "Conv" || op == "MaxPool" || op == "AveragePool" || op == "LpPool") {
      Status st = check_window_node(n, inits, ranks);
      if (!st.ok()) return st.with_context(path);
    }
  }
  return Status();
}

}  // namespace tandem::onnx_import
