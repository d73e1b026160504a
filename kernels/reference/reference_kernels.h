// Portable reference kernels: the test oracle and every backend's fallback.
// Layout is the graph's logical layout (NCHW for images). Shapes come from the
// graph's tensors; `inputs[i]` is nullptr for an absent optional input, and
// constant inputs point at their ConstantData.
#pragma once

#include "graph/graph.h"

namespace tandem {

using ReferenceKernel = Status (*)(const Graph& g, const Node& n, const float* const* inputs,
                                   float* const* outputs);

// The kernel for `op`, or nullptr when none exists (a bug: every op has one,
// tests/test_reference_coverage.cc checks it).
ReferenceKernel reference_kernel(OpType op);

// Runs node `n` with its reference kernel.
Status run_reference_node(const Graph& g, const Node& n, const float* const* inputs,
                          float* const* outputs);

}  // namespace tandem
