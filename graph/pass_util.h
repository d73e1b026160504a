// Helpers shared by the graph passes (passes.cc and the pattern fusions
// pass_fuse_layer_norm.cc, pass_fuse_gelu.cc, pass_channels_first.cc): id
// checks, who produces and reads each tensor, constants, node removal.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace tandem::pass_util {

// Every tensor id in range, so a pass can index without checks.
Status check_ids(const Graph& g, const char* pass);
// Readers of each tensor (a node reading it twice counts twice).
std::vector<int> reader_counts(const Graph& g);
// Graph outputs by tensor id.
std::vector<bool> output_mask(const Graph& g);
bool is_f32_constant(const Graph& g, int t);
std::vector<float> constant_values(const Graph& g, int t);
// A tensor name not yet in the graph, derived from `base`.
std::string fresh_name(const Graph& g, const std::string& base);
// Removes the nodes marked dead, keeping the order of the others.
void erase_nodes(Graph& g, const std::vector<bool>& dead);
// Every read of tensor `from` reads `to` instead.
void replace_reads(Graph& g, int from, int to);

// Producers, readers and outputs of one graph, for pattern matching; indexes
// stay valid while a pass only marks nodes dead and edits them in place.
struct Uses {
  std::vector<int> producer;  // node index, -1 for inputs and constants
  std::vector<int> readers;
  std::vector<bool> is_output;
  explicit Uses(const Graph& g);
  // Read by exactly one node and not a graph output: a node producing it can go.
  bool single_use(int t) const {
    return t >= 0 && size_t(t) < readers.size() && readers[size_t(t)] == 1 && !is_output[size_t(t)];
  }
};

// The node producing `t` when it is of type `op`, not dead and has one output; else nullptr.
const Node* producer_of(const Graph& g, const Uses& u, const std::vector<bool>& dead, int t,
                        OpType op);
// Index of the node producing `t` (-1: an input, a constant, or a tensor newer than `u`).
int producer_index(const Uses& u, int t);
// The one node reading `t` (its index), or -1 when `t` has another number of readers or
// is a graph output.
int sole_reader(const Graph& g, const Uses& u, int t);
// A float32 constant with one element: its value.
bool scalar_constant(const Graph& g, int t, float* value);
// A scalar constant within `rel` (relative) of `want`.
bool scalar_near(const Graph& g, int t, double want, double rel = 1e-6);
// For a two-input node: the input that is not `t` (-1 when `t` is not an input; `t` when both are).
int other_input(const Node& n, int t);

}  // namespace tandem::pass_util
