// The graph IR: tensors, nodes in topological order, graph inputs/outputs.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "graph/node.h"
#include "graph/status.h"
#include "graph/tensor.h"

namespace tandem {

struct ModelMetadata {
  std::string producer;  // "tandem-convert 0.1", ...
  std::string producer_version;
  std::string source_hash;  // hash of the source model (e.g. FNV-1a 64 of the .onnx)
  // Input shapes the converter was asked to fix (--input-shape), from the exported
  // ones: "input batchx3x224x224 -> 2x3x224x224"; empty when the export's were kept.
  std::string input_shapes;
};

class Graph {
 public:
  std::vector<Tensor> tensors;
  std::vector<Node> nodes;  // topological order once topo_sort() succeeded
  std::vector<int> inputs;  // non-constant graph inputs
  std::vector<int> outputs;
  ModelMetadata metadata;

  int add_tensor(Tensor t);
  // Adds a float32 constant tensor holding `values` with `shape`.
  int add_constant(const std::string& name, Shape shape, std::vector<float> values);
  // Appends a node; returns its index.
  int add_node(Node n);
  // Tensor id by name, or -1.
  int find_tensor(const std::string& name) const;

  const Tensor& tensor(int id) const { return tensors[static_cast<size_t>(id)]; }
  Tensor& tensor(int id) { return tensors[static_cast<size_t>(id)]; }
  bool valid_tensor(int id) const { return id >= 0 && static_cast<size_t>(id) < tensors.size(); }
};

// Orders nodes so that every tensor is produced before it is read; fails,
// naming a node on the cycle, when the graph has one, and names a node that
// reads a tensor nobody produces.
Status topo_sort(Graph& g);

// For each tensor: index of the producing node, -1 for graph inputs/constants.
std::vector<int> tensor_producers(const Graph& g);
// For each tensor: index of the last node reading it (graph outputs: nodes.size()).
std::vector<int> tensor_last_use(const Graph& g);

// A tensor's live range in node order: produced by node `producer` (-1: a graph
// input or a constant), last read by node `last_use` (graph outputs:
// nodes.size(); -1: never read).
struct TensorLife {
  int producer = -1;
  int last_use = -1;
  // Crosses the cut before node `cut`: produced before it, read at or after it.
  // The one definition of "the tensors crossing a cut" (range_io, the pipeline's
  // boundaries, the cost model's crossing bytes).
  bool crosses(int cut) const { return producer < cut && last_use >= cut; }
};
std::vector<TensorLife> tensor_lives(const Graph& g);
// The non-constant tensors crossing the cut before node `cut` (0..nodes.size()),
// by tensor id.
std::vector<int> tensors_crossing(const Graph& g, int cut);

// Tensors crossing into and out of the node range [first, last): those crossing
// the cut at `first` that the range reads, and those crossing the cut at `last`
// that it produces.
struct RangeIO {
  std::vector<int> inputs;   // non-constant tensors read in range, produced before it
  std::vector<int> outputs;  // tensors produced in range and read after it (or graph outputs)
};
RangeIO range_io(const Graph& g, int first, int last);

// Multiply-accumulates of a node (0 for data movement ops); needs shapes.
int64_t node_macs(const Graph& g, const Node& n);
int64_t graph_macs(const Graph& g);
// Number of weight parameters (elements of constant tensors that nodes read).
int64_t graph_parameters(const Graph& g);

// "nodes [first,last) 'a'..'b'": a node range for messages.
std::string node_range_text(const Graph& g, int first, int last);

}  // namespace tandem
