// Which dtypes the 8-bit ops (docs/int8.md) read and write, and the checks
// that keep int8 tensors away from float ops. Shape inference calls these.
#pragma once

#include <string>

#include "graph/graph.h"

namespace tandem {

// True for the ops of docs/int8.md (QuantizeLinear .. QGlobalAveragePool).
bool op_is_quantized(OpType op);
// The dtype of every output of `op`: int8 for the int8 ops and QuantizeLinear,
// float32 otherwise (DequantizeLinear included).
DType op_output_dtype(OpType op);
// Checks the dtypes and quantization of node `n`'s inputs and outputs (outputs
// only where they already carry a dtype other than float32, or the op writes
// int8); `what` names the node. Float ops must see float32 only.
Status check_node_dtypes(const Graph& g, const Node& n, const std::string& what);

}  // namespace tandem
