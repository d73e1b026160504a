// The bundled ONNX converter: ONNX model -> tandem::Graph, then the graph
// passes. Callers never see protobuf or ONNX headers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "graph/graph.h"
#include "graph/passes.h"

namespace tandem {

struct ConvertOptions {
  // Fixes the shape of graph inputs whose ONNX shape is dynamic (or overrides a static one).
  std::map<std::string, Shape> input_shapes;
  // Runs run_default_passes after mapping (tests turn it off to see the raw mapping).
  bool run_passes = true;
  // Evaluates nodes on constants for the passes (formats/ has no kernels: callers
  // pass run_reference_node). Needed only when a mapped node reads constants only.
  ConstantEvaluator evaluate_constants;
};

struct ConvertSummary {
  std::string source_path;
  int64_t opset = 0;
  std::string producer;     // "pytorch 1.13.0"
  int onnx_nodes = 0;       // nodes in the ONNX graph
  int qoperator_nodes = 0;  // QOperator nodes (QLinearConv, ...) rewritten into QDQ form
  int folded_nodes = 0;     // ONNX nodes evaluated at conversion time (shape chains, Constant)
  std::map<std::string, int> folded_by_op;  // "Shape" -> 3, ...
  int nodes_before_passes = 0;              // Tandem nodes after mapping
  int nodes_after_passes = 0;
  std::vector<PassReport> passes;  // what the passes fused or folded
  int64_t parameters = 0;
  int64_t macs = 0;
  std::map<std::string, int> op_counts;  // final graph, by op name
};

struct ConvertResult {
  Graph graph;
  ConvertSummary summary;
};

// Reads `onnx_path` (resolving external data next to it), runs ONNX shape
// inference, folds shape computations, maps every node onto ops.def and runs
// the passes. Errors name the file and the nodes/tensors at fault; an
// unsupported-op error lists every unsupported op type with its node names.
Expected<ConvertResult> convert_onnx(const std::string& onnx_path,
                                     const ConvertOptions& options = {});
// Same from bytes in memory (fuzzing, embedding); `name` names the model in
// errors, and external data is looked up next to it.
Expected<ConvertResult> convert_onnx_bytes(const void* data, size_t size, const std::string& name,
                                           const ConvertOptions& options = {});

// Parses "NAME=1x3x224x224" (or "1x3x224x224", meaning the only input) for --input-shape.
// The name is "" when omitted.
Expected<std::pair<std::string, Shape>> parse_input_shape(const std::string& spec);

// Multi-line human-readable summary, as `tandem convert` prints it.
std::string format_convert_summary(const ConvertSummary& s);

}  // namespace tandem
