// State shared by the per-op mapping functions while one ONNX graph is converted.
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/onnx/onnx_tensor.h"
#include "graph/graph.h"

namespace tandem::onnx_import {

class ImportContext {
 public:
  Graph graph;
  int64_t opset = 0;
  // Values known at conversion time, by ONNX name (initializers, Constant, folded shape math).
  std::unordered_map<std::string, ConstValue> constants;
  // Static shapes from ONNX shape inference (and from folding), by ONNX name.
  std::unordered_map<std::string, Shape> shapes;
  // ONNX element type of each value that has one.
  std::unordered_map<std::string, int32_t> elem_types;
  // ONNX names already turned into graph tensors.
  std::unordered_map<std::string, int> tensor_ids;
  std::map<std::string, int> folded_by_op;

  // Node name for messages: "'conv1' (Conv)".
  static std::string describe(const onnx::NodeProto& n);

  const ConstValue* constant(const std::string& name) const;
  const Shape* shape(const std::string& name) const;
  bool has_input(const onnx::NodeProto& n, int k) const {
    return k < n.input_size() && !n.input(k).empty();
  }

  // Graph tensor for input `k` of `n`: a runtime value, or a float32 constant
  // (made into a graph constant on first use). -1 when the optional input is absent.
  Expected<int> input(const onnx::NodeProto& n, int k);
  // Shape of input `k` of `n`, or an error naming the node when ONNX shape inference left it
  // unknown.
  Expected<Shape> input_shape(const onnx::NodeProto& n, int k) const;
  // Input `k` as integers; it must be known at conversion time.
  Expected<std::vector<int64_t>> const_ints(const onnx::NodeProto& n, int k,
                                            const char* what) const;
  // Input `k` as one float; it must be known at conversion time.
  Expected<float> const_float(const onnx::NodeProto& n, int k, const char* what) const;

  // Appends a node `op` reading `inputs` and writing ONNX outputs `n.output()`
  // (the first `max_outputs`; later ones must be unused). Returns the node index.
  Expected<int> add_node(const onnx::NodeProto& n, OpType op, std::vector<int> inputs,
                         NodeAttrs attrs, int max_outputs = 1);
  // The same for the 8-bit ops: output 0 is int8 with quantization `q`
  // (QuantizeLinear; map_quant.cc); `from_uint8`: ONNX's output is uint8, shifted.
  Expected<int> add_int8_node(const onnx::NodeProto& n, OpType op, std::vector<int> inputs,
                              const Quantization& q, bool from_uint8 = false);
  // Makes ONNX value `onnx_name` another name for graph tensor `id` (Identity of a constant, ...).
  void alias(const std::string& onnx_name, int id) { tensor_ids[onnx_name] = id; }

  // Names of ONNX values some node or graph output reads; filled before mapping.
  std::unordered_map<std::string, int> readers;
};

// Attribute accessors with ONNX defaults.
const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const char* name);
int64_t attr_int(const onnx::NodeProto& n, const char* name, int64_t def);
float attr_float(const onnx::NodeProto& n, const char* name, float def);
std::string attr_string(const onnx::NodeProto& n, const char* name, const std::string& def);
std::vector<int64_t> attr_ints(const onnx::NodeProto& n, const char* name,
                               std::vector<int64_t> def = {});

// Maps a possibly negative `axis` into [0, rank) (or [0, rank] when `inclusive`), or an error
// naming `n`.
Expected<int64_t> normalize_axis(const onnx::NodeProto& n, int64_t axis, int64_t rank,
                                 bool inclusive = false);

}  // namespace tandem::onnx_import
