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

}  // namespace tandem
