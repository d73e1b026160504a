// Portable reference kernels: the test oracle and every backend's fallback.
// Layout is the graph's logical layout (NCHW for images). Shapes come from the
// graph's tensors; `inputs[i]` is nullptr for an absent optional input, and
// constant inputs point at their ConstantData.
#pragma once

#include "graph/graph.h"

namespace tandem {

using ReferenceKernel = Status (*)(const Graph& g, const Node& n, const float* const* inputs,
                                   float* const* outputs);

// The kernel for `op` (ref::<Op>, generated from ops.def: every op has one, a
// missing one is a link error); nullptr only for values outside ops.def.
ReferenceKernel reference_kernel(OpType op);

// Checks, once before running, that `n` is consistent with the shapes stored
// in `g` (re-infers them; an error names the node). Kernels trust the stored
// shapes, so a processor calls this when it compiles a range.
Status check_reference_node(const Graph& g, const Node& n);

// Runs node `n` with its reference kernel. Shapes must have been inferred
// (infer_shapes) and checked; input and output buffers hold those shapes.
// Elementwise ops (unary, BatchNormalization, Add/Sub/Mul/Div without
// broadcasting of the aliased input, Reshape/Flatten/Identity) may run in
// place with an output buffer equal to an input buffer.
Status run_reference_node(const Graph& g, const Node& n, const float* const* inputs,
                          float* const* outputs);

// Every tensor of `g` after running all its nodes in order on the reference
// kernels with input 0 set to `x` (float32): one byte buffer per tensor, sized for
// its shape and dtype (constants' buffers are left zeroed; nodes read their data).
// For calibration and per-tensor comparisons (tandem quantize), not for speed.
Expected<std::vector<std::vector<char>>> run_reference_graph(const Graph& g,
                                                             const std::vector<float>& x);

}  // namespace tandem
