// Graph passes. Each returns how many rewrites it made, so the converter can
// print a summary, and leaves the graph topologically sorted and shape-complete.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace tandem {

struct PassReport {
  std::string pass;
  int rewrites = 0;
};

// BatchNormalization after Conv (or Gemm) with no other reader: folded into the weights.
Expected<int> pass_fold_batchnorm(Graph& g);
// Relu / Clip (Relu6) after Conv, Gemm, MatMul or Add with no other reader: fused.
Expected<int> pass_fuse_activations(Graph& g);
// Identity (and Dropout, which the converter maps to Identity) removed.
Expected<int> pass_remove_identity(Graph& g);
// Computes the outputs of node `n` from its inputs (output shapes are set in
// `g`). graph/ has no kernels: whoever runs the passes supplies one, usually
// run_reference_node (kernels/reference/reference_kernels.h).
using ConstantEvaluator = std::function<Status(const Graph& g, const Node& n,
                                               const float* const* inputs, float* const* outputs)>;

// Nodes whose inputs are all constants are evaluated with `evaluate`; without
// one, such a node is an error (naming it) rather than left silently unfolded.
Expected<int> pass_fold_constants(Graph& g, const ConstantEvaluator& evaluate);
// Nodes and tensors that no graph output depends on are removed.
Expected<int> pass_eliminate_dead(Graph& g);

// QDQ groups (DequantizeLinear inputs -> float op [-> Relu/Clip] -> one
// QuantizeLinear) become the int8 ops of docs/int8.md (graph/quant_fusion.cc).
// Run before the float passes; what does not match stays float.
Expected<int> pass_fuse_qdq(Graph& g);

// The standard pipeline in order; stops at the first error.
// `evaluate` folds constants (pass_fold_constants).
Expected<std::vector<PassReport>> run_default_passes(Graph& g, const ConstantEvaluator& evaluate);

}  // namespace tandem
