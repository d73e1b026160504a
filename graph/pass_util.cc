#include "graph/pass_util.h"

#include <cmath>

namespace tandem::pass_util {

Status check_ids(const Graph& g, const char* pass) {
  for (const Node& n : g.nodes) {
    for (int t : n.inputs)
      if (t != -1 && !g.valid_tensor(t))
        return invalid_argument(std::string(pass) + ": node '" + n.name + "' reads tensor id " +
                                std::to_string(t) + " which does not exist");
    for (int t : n.outputs)
      if (!g.valid_tensor(t))
        return invalid_argument(std::string(pass) + ": node '" + n.name + "' writes tensor id " +
                                std::to_string(t) + " which does not exist");
  }
  for (int t : g.inputs)
    if (!g.valid_tensor(t)) return invalid_argument(std::string(pass) + ": bad graph input id");
  for (int t : g.outputs)
    if (!g.valid_tensor(t)) return invalid_argument(std::string(pass) + ": bad graph output id");
  return Status();
}

std::vector<int> reader_counts(const Graph& g) {
  std::vector<int> readers(g.tensors.size(), 0);
  for (const Node& n : g.nodes)
    for (int t : n.inputs)
      if (t >= 0) ++readers[static_cast<size_t>(t)];
  return readers;
}

std::vector<bool> output_mask(const Graph& g) {
  std::vector<bool> is_output(g.tensors.size(), false);
  for (int t : g.outputs) is_output[static_cast<size_t>(t)] = true;
  return is_output;
}

bool is_f32_constant(const Graph& g, int t) {
  return t >= 0 && g.tensor(t).is_constant() && g.tensor(t).dtype == DType::kFloat32;
}

std::vector<float> constant_values(const Graph& g, int t) {
  const ConstantData& d = *g.tensor(t).data;
  return std::vector<float>(d.f32(), d.f32() + d.bytes / sizeof(float));
}

std::string fresh_name(const Graph& g, const std::string& base) {
  std::string name = base;
  for (int k = 1; g.find_tensor(name) != -1; ++k) name = base + "_" + std::to_string(k);
  return name;
}

void erase_nodes(Graph& g, const std::vector<bool>& dead) {
  size_t w = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (dead[i]) continue;
    if (w != i) g.nodes[w] = std::move(g.nodes[i]);  // self-move would empty the node
    ++w;
  }
  g.nodes.resize(w);
}

void replace_reads(Graph& g, int from, int to) {
  for (Node& n : g.nodes)
    for (int& t : n.inputs)
      if (t == from) t = to;
}

Uses::Uses(const Graph& g)
    : producer(tensor_producers(g)), readers(reader_counts(g)), is_output(output_mask(g)) {}

int producer_index(const Uses& u, int t) {
  return t >= 0 && size_t(t) < u.producer.size() ? u.producer[size_t(t)] : -1;
}

const Node* producer_of(const Graph& g, const Uses& u, const std::vector<bool>& dead, int t,
                        OpType op) {
  const int p = producer_index(u, t);
  if (p < 0 || dead[size_t(p)]) return nullptr;
  const Node& n = g.nodes[size_t(p)];
  return n.op == op && n.outputs.size() == 1 ? &n : nullptr;
}

int sole_reader(const Graph& g, const Uses& u, int t) {
  if (!u.single_use(t)) return -1;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int in : g.nodes[i].inputs)
      if (in == t) return static_cast<int>(i);
  return -1;
}

bool scalar_constant(const Graph& g, int t, float* value) {
  if (!is_f32_constant(g, t) || shape_elements(g.tensor(t).shape) != 1) return false;
  if (g.tensor(t).data->bytes != sizeof(float)) return false;
  *value = g.tensor(t).data->f32()[0];
  return true;
}

bool scalar_near(const Graph& g, int t, double want, double rel) {
  float v = 0.0f;
  return scalar_constant(g, t, &v) && std::fabs(double(v) - want) <= rel * std::fabs(want);
}

int other_input(const Node& n, int t) {
  if (n.inputs.size() != 2) return -1;
  if (n.inputs[0] == t) return n.inputs[1];
  if (n.inputs[1] == t) return n.inputs[0];
  return -1;
}

}  // namespace tandem::pass_util
