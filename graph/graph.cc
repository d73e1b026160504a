#include "graph/graph.h"

#include <algorithm>
#include <queue>

#include "graph/op_def.h"

namespace tandem {

int Graph::add_tensor(Tensor t) {
  tensors.push_back(std::move(t));
  return static_cast<int>(tensors.size()) - 1;
}

int Graph::add_constant(const std::string& name, Shape shape, std::vector<float> values) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  t.data = ConstantData::from_floats(std::move(values));
  return add_tensor(std::move(t));
}

int Graph::add_node(Node n) {
  nodes.push_back(std::move(n));
  return static_cast<int>(nodes.size()) - 1;
}

int Graph::find_tensor(const std::string& name) const {
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].name == name) return static_cast<int>(i);
  return -1;
}

Status topo_sort(Graph& g) {
  const size_t n = g.nodes.size();
  std::vector<int> producer(g.tensors.size(), -1);
  for (size_t i = 0; i < n; ++i) {
    for (int t : g.nodes[i].outputs) {
      if (!g.valid_tensor(t))
        return invalid_model("node '" + g.nodes[i].name + "' writes tensor id " +
                             std::to_string(t) + " which does not exist");
      if (producer[static_cast<size_t>(t)] != -1)
        return invalid_model("tensor '" + g.tensor(t).name + "' is produced by two nodes ('" +
                             g.nodes[static_cast<size_t>(producer[static_cast<size_t>(t)])].name +
                             "' and '" + g.nodes[i].name + "')");
      producer[static_cast<size_t>(t)] = static_cast<int>(i);
    }
  }
  std::vector<bool> available(g.tensors.size(), false);
  for (size_t t = 0; t < g.tensors.size(); ++t)
    if (g.tensors[t].is_constant()) available[t] = true;
  for (int t : g.inputs) {
    if (!g.valid_tensor(t))
      return invalid_model("graph input id " + std::to_string(t) + " out of range");
    available[static_cast<size_t>(t)] = true;
  }
  // Kahn's algorithm, stable: among ready nodes keep the original order.
  std::vector<int> missing(n, 0);
  std::vector<std::vector<int>> readers(g.tensors.size());
  for (size_t i = 0; i < n; ++i) {
    for (int t : g.nodes[i].inputs) {
      if (t < 0) continue;
      if (!g.valid_tensor(t))
        return invalid_model("node '" + g.nodes[i].name + "' reads tensor id " + std::to_string(t) +
                             " which does not exist");
      if (available[static_cast<size_t>(t)]) continue;
      if (producer[static_cast<size_t>(t)] < 0)
        return invalid_model("node '" + g.nodes[i].name + "' reads tensor '" + g.tensor(t).name +
                             "' which no node produces and which is not a graph input or constant");
      ++missing[i];
      readers[static_cast<size_t>(t)].push_back(static_cast<int>(i));
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t i = 0; i < n; ++i)
    if (missing[i] == 0) ready.push(static_cast<int>(i));
  std::vector<int> order;
  order.reserve(n);
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int t : g.nodes[static_cast<size_t>(i)].outputs)
      for (int r : readers[static_cast<size_t>(t)])
        if (--missing[static_cast<size_t>(r)] == 0) ready.push(r);
  }
  if (order.size() != n) {
    for (size_t i = 0; i < n; ++i)
      if (missing[i] > 0)
        return invalid_model("graph has a cycle through node '" + g.nodes[i].name + "'");
  }
  std::vector<Node> sorted;
  sorted.reserve(n);
  for (int i : order) sorted.push_back(std::move(g.nodes[static_cast<size_t>(i)]));
  g.nodes = std::move(sorted);
  return Status();
}

std::vector<int> tensor_producers(const Graph& g) {
  std::vector<int> producer(g.tensors.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int t : g.nodes[i].outputs)
      if (g.valid_tensor(t)) producer[static_cast<size_t>(t)] = static_cast<int>(i);
  return producer;
}

std::vector<int> tensor_last_use(const Graph& g) {
  std::vector<int> last(g.tensors.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int t : g.nodes[i].inputs)
      if (g.valid_tensor(t)) last[static_cast<size_t>(t)] = static_cast<int>(i);
  for (int t : g.outputs)
    if (g.valid_tensor(t)) last[static_cast<size_t>(t)] = static_cast<int>(g.nodes.size());
  return last;
}

std::vector<TensorLife> tensor_lives(const Graph& g) {
  const std::vector<int> producer = tensor_producers(g);
  const std::vector<int> last_use = tensor_last_use(g);
  std::vector<TensorLife> lives(g.tensors.size());
  for (size_t t = 0; t < lives.size(); ++t) lives[t] = {producer[t], last_use[t]};
  return lives;
}

std::vector<int> tensors_crossing(const Graph& g, int cut) {
  const std::vector<TensorLife> lives = tensor_lives(g);
  std::vector<int> crossing;
  for (size_t t = 0; t < lives.size(); ++t)
    if (!g.tensors[t].is_constant() && lives[t].crosses(cut))
      crossing.push_back(static_cast<int>(t));
  return crossing;
}

RangeIO range_io(const Graph& g, int first, int last) {
  RangeIO io;
  const std::vector<TensorLife> lives = tensor_lives(g);
  std::vector<bool> seen(g.tensors.size(), false);
  for (int i = first; i < last; ++i) {
    for (int t : g.nodes[static_cast<size_t>(i)].inputs) {
      if (t < 0 || seen[static_cast<size_t>(t)] || g.tensor(t).is_constant()) continue;
      if (lives[static_cast<size_t>(t)].crosses(first)) {
        seen[static_cast<size_t>(t)] = true;
        io.inputs.push_back(t);
      }
    }
  }
  for (int i = first; i < last; ++i)
    for (int t : g.nodes[static_cast<size_t>(i)].outputs)
      if (lives[static_cast<size_t>(t)].crosses(last)) io.outputs.push_back(t);
  return io;
}

int64_t node_macs(const Graph& g, const Node& n) {
  const OpDef* def = find_op_def(n.op);
  return def ? def->macs(g, n) : 0;
}

int64_t graph_macs(const Graph& g) {
  int64_t total = 0;
  for (const Node& n : g.nodes) total += node_macs(g, n);
  return total;
}

int64_t graph_parameters(const Graph& g) {
  std::vector<bool> counted(g.tensors.size(), false);
  int64_t total = 0;
  for (const Node& n : g.nodes)
    for (int t : n.inputs)
      if (t >= 0 && g.tensor(t).is_constant() && !counted[static_cast<size_t>(t)]) {
        counted[static_cast<size_t>(t)] = true;
        total += std::max<int64_t>(0, shape_elements(g.tensor(t).shape));
      }
  return total;
}

std::string node_range_text(const Graph& g, int first, int last) {
  std::string s = "nodes [" + std::to_string(first) + "," + std::to_string(last) + ")";
  if (first >= 0 && last > first && static_cast<size_t>(last) <= g.nodes.size()) {
    s += " '" + g.nodes[static_cast<size_t>(first)].name + "'";
    if (last - first > 1) s += "..'" + g.nodes[static_cast<size_t>(last - 1)].name + "'";
  }
  return s;
}

}  // namespace tandem
