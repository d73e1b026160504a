#include "tests/helpers.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

namespace tandem::test {

std::vector<float> random_floats(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double max_diff = 0, max_ref = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) != std::isnan(b[i])) return INFINITY;
    max_diff = std::max(max_diff, std::fabs(double(a[i]) - double(b[i])));
    max_ref = std::max(max_ref, std::fabs(double(b[i])));
  }
  if (max_ref == 0) return max_diff == 0 ? 0 : INFINITY;
  return max_diff / max_ref;
}

size_t argmax(const std::vector<float>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

int add_input(Graph& g, const std::string& name, Shape shape) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  int id = g.add_tensor(std::move(t));
  g.inputs.push_back(id);
  return id;
}

int add_value(Graph& g, const std::string& name) {
  Tensor t;
  t.name = name;
  return g.add_tensor(std::move(t));
}

int add_random_constant(Graph& g, const std::string& name, Shape shape, uint32_t seed) {
  size_t n = static_cast<size_t>(shape_elements(shape));
  return g.add_constant(name, std::move(shape), random_floats(n, seed));
}

int add_simple_node(Graph& g, OpType op, const std::string& name, std::vector<int> inputs,
                    NodeAttrs attrs) {
  Node n;
  n.name = name;
  n.op = op;
  n.inputs = std::move(inputs);
  n.outputs = {add_value(g, name + "_out")};
  n.attrs = std::move(attrs);
  g.add_node(std::move(n));
  return g.nodes.back().outputs[0];
}

std::string temp_path(const std::string& name) {
  std::filesystem::path dir = std::filesystem::path(TANDEM_BINARY_DIR) / "test_tmp";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

}  // namespace tandem::test
