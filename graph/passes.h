// Graph passes. Each returns how many rewrites it made, so the converter can
// print a summary, and leaves the graph topologically sorted and shape-complete.
#pragma once

#include <functional>
#include <set>
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
// The exported LayerNorm decomposition (ReduceMean, Sub, Pow 2, ReduceMean, Add eps,
// Sqrt, Div, optional Mul gamma and Add beta) -> one LayerNormalization
// (pass_fuse_layer_norm.cc).
Expected<int> pass_fuse_layer_norm(Graph& g);
// GELU's erf form x*0.5*(1+Erf(x/sqrt2)) and tanh form -> one Gelu (pass_fuse_gelu.cc).
Expected<int> pass_fuse_gelu(Graph& g);
// Transpose(0,2,3,1) -> last-axis ops -> Transpose(0,3,1,2) islands rewritten in
// NCHW: LayerNorm over channels, MatMul -> 1x1 Conv; a layer scale after it folded
// into the Conv (pass_channels_first.cc).
Expected<int> pass_channels_first(Graph& g);
// Nodes and tensors that no graph output depends on are removed.
Expected<int> pass_eliminate_dead(Graph& g);

// QDQ groups (DequantizeLinear inputs -> float op [-> Relu/Clip] -> one
// QuantizeLinear) become the int8 ops of docs/int8.md (graph/quant_fusion.cc).
// Run before the float passes; what does not match stays float. Nodes named in
// `keep_float` (tandem quantize --keep-fp32) are never fused.
Expected<int> pass_fuse_qdq(Graph& g);
Expected<int> pass_fuse_qdq(Graph& g, const std::set<std::string>& keep_float);

// The standard pipeline in order; stops at the first error.
// `evaluate` folds constants (pass_fold_constants).
Expected<std::vector<PassReport>> run_default_passes(Graph& g, const ConstantEvaluator& evaluate);

}  // namespace tandem
