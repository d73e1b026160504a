// Shape inference for every op in ops.def: the checks common to all nodes
// here, each op's own rule in its OpDef (graph/op_def.h, graph/ops/).
#pragma once

#include "graph/graph.h"

namespace tandem {

// Computes the output shapes of node `n` from its input shapes and attributes
// and checks that inputs and attributes are consistent (ranks, channel counts,
// kernel sizes, broadcastability). Errors name the node.
Status infer_node_shapes(const Graph& g, const Node& n, std::vector<Shape>* out_shapes);

// Runs infer_node_shapes over the nodes in order (topological) and writes the
// output shapes into the graph. A tensor that already has a shape must agree
// with the inferred one, else an error names the node and tensor.
Status infer_shapes(Graph& g);

}  // namespace tandem
