// Shared by the cpu processor tests: build small graphs, run them on a cpu
// processor spec and on the reference processor, and compare.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string_view>

#include "kernels/cpu/compiler/cpu_executable.h"
#include "kernels/cpu/cpu_processor.h"
#include "kernels/reference/reference_processor.h"
#include "tests/helpers.h"

namespace tandem::cpu_test {

constexpr double kTolerance = 1e-4;
const float kInf = std::numeric_limits<float>::infinity();

inline const ProcessorRegistry& registry() {
  static const ProcessorRegistry r = [] {
    ProcessorRegistry reg;
    register_reference_processor(reg);
    register_cpu_processor(reg);
    return reg;
  }();
  return r;
}

inline std::unique_ptr<Processor> make(const std::string& spec) {
  auto p = registry().create(spec);
  REQUIRE_MESSAGE(p.ok(), p.status().to_string());
  return std::move(p).value();
}

// Adds node `op` with a fresh output of `shape`; returns the output id.
inline int node(Graph& g, OpType op, const std::string& name, std::vector<int> inputs, Shape shape,
                NodeAttrs attrs = {}) {
  int y = test::add_simple_node(g, op, name, std::move(inputs), std::move(attrs));
  g.tensor(y).shape = std::move(shape);
  return y;
}

inline NodeAttrs conv_attrs(int64_t k, int64_t stride, int64_t pad, int64_t group = 1) {
  NodeAttrs a;
  a.kernel_shape = {k, k};
  a.strides = {stride, stride};
  a.dilations = {1, 1};
  a.pads = {pad, pad, pad, pad};
  a.group = group;
  return a;
}

using Tensors = std::vector<std::vector<float>>;

// With $TANDEM_TEST_DUMP set, run_range appends one line per compiled range to
// that file: spec, range, kernel kinds, fallback nodes and a hash of each output's
// bytes. scripts/ab_cpu_ranges.sh compares two libraries' lines (bit-identity).
inline void dump_range(const char* path, const Processor& p, int first, int last,
                       const Executable& exe, const std::vector<std::vector<float>>& out) {
  FILE* f = std::fopen(path, "a");
  if (!f) return;
  std::fprintf(f, "%s [%d,%d):", p.spec().c_str(), first, last);
  for (const std::string& k : exe.kernel_kinds()) std::fprintf(f, " %s", k.c_str());
  for (const std::string& k : exe.fallback_nodes()) std::fprintf(f, " fallback:%s", k.c_str());
  for (const auto& v : out) {
    const std::string_view bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
    std::fprintf(f, " %016zx", std::hash<std::string_view>{}(bytes));
  }
  std::fprintf(f, "\n");
  std::fclose(f);
}

// Runs nodes [first, last) on `p` with inputs for the range's boundary tensors.
inline Tensors run_range(Processor& p, const Graph& g, int first, int last, const Tensors& inputs,
                         Executable** keep = nullptr,
                         std::unique_ptr<Executable>* owner = nullptr) {
  auto exe = p.compile(g, first, last);
  REQUIRE_MESSAGE(exe.ok(), exe.status().to_string());
  const RangeIO& io = exe.value()->io();
  REQUIRE(io.inputs.size() == inputs.size());
  std::vector<const float*> in;
  for (const auto& v : inputs) in.push_back(v.data());
  Tensors out;
  for (int t : io.outputs) out.emplace_back(size_t(shape_elements(g.tensor(t).shape)), -7.0f);
  std::vector<float*> outp;
  for (auto& v : out) outp.push_back(v.data());
  Status st = exe.value()->run(in.data(), outp.data());
  REQUIRE_MESSAGE(st.ok(), st.to_string());
  if (const char* dump = std::getenv("TANDEM_TEST_DUMP"))
    dump_range(dump, p, first, last, *exe.value(), out);
  if (owner) {
    *owner = std::move(exe).value();
    if (keep) *keep = owner->get();
  }
  return out;
}

// Random inputs for the boundary tensors of [first, last).
inline Tensors random_inputs(const Graph& g, int first, int last, uint32_t seed = 7) {
  Tensors in;
  for (int t : range_io(g, first, last).inputs)
    in.push_back(test::random_floats(size_t(shape_elements(g.tensor(t).shape)), seed++));
  return in;
}

// Nodes of `g` (an executable over all of it, kinds from kernel_kinds()) that
// run as `kind`.
inline int64_t count_kind(const std::vector<std::string>& kinds, const std::string& kind) {
  return int64_t(std::count(kinds.begin(), kinds.end(), kind));
}

// Add nodes another node's kernel runs: residuals fused into a conv's epilogue
// (or into a fused block), observed through kernel_kinds().
inline int64_t fused_adds(const Graph& g, const std::vector<std::string>& kinds) {
  int64_t n = 0;
  for (size_t i = 0; i < kinds.size() && i < g.nodes.size(); ++i)
    n += g.nodes[i].op == OpType::kAdd && kinds[i] == "fused";
  return n;
}

// cpu (given spec) vs reference on the whole graph; returns the worst error and
// hands the cpu executable to `inspect` (for counts and kernel kinds).
template <typename Inspect>
double compare_with(const Graph& g, const std::string& spec, Inspect inspect) {
  int n = int(g.nodes.size());
  Tensors in = random_inputs(g, 0, n);
  auto ref = make("reference");
  auto cpu = make(spec);
  Tensors want = run_range(*ref, g, 0, n, in);
  std::unique_ptr<Executable> exe;
  Executable* e = nullptr;
  Tensors got = run_range(*cpu, g, 0, n, in, &e, &exe);
  inspect(*e);
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i)
    worst = std::max(worst, test::relative_error(got[i], want[i]));
  return worst;
}

// The same, with the common things to inspect as optional outputs.
inline double compare(const Graph& g, const std::string& spec = "cpu:threads=2",
                      std::vector<std::string>* fallbacks = nullptr,
                      int64_t* concat_copies = nullptr, int64_t* fused_add_count = nullptr,
                      std::vector<std::string>* kinds = nullptr) {
  return compare_with(g, spec, [&](const Executable& e) {
    if (fallbacks) *fallbacks = e.fallback_nodes();
    if (concat_copies) *concat_copies = cpu::cpu_concat_copies(e);
    if (fused_add_count) *fused_add_count = fused_adds(g, e.kernel_kinds());
    if (kinds) *kinds = e.kernel_kinds();
  });
}

// x [1, c, h, w] -> conv -> output; returns the graph.
inline Graph conv_graph(int64_t c, int64_t h, int64_t w, int64_t m, NodeAttrs a, bool bias,
                        FusedActivation act = {}) {
  Graph g;
  int x = test::add_input(g, "x", {1, c, h, w});
  int64_t kh = a.kernel_shape[0], kw = a.kernel_shape[1];
  int wt = test::add_random_constant(g, "w", {m, c / a.group, kh, kw}, 11);
  std::vector<int> ins = {x, wt};
  if (bias) ins.push_back(test::add_random_constant(g, "b", {m}, 12));
  int64_t dh = a.dilations.empty() ? 1 : a.dilations[0];
  int64_t oh = (h + a.pads[0] + a.pads[2] - dh * (kh - 1) - 1) / a.strides[0] + 1;
  int64_t ow = (w + a.pads[1] + a.pads[3] - dh * (kw - 1) - 1) / a.strides[1] + 1;
  a.activation = act;
  g.outputs = {node(g, OpType::kConv, "conv", ins, {1, m, oh, ow}, a)};
  return g;
}

}  // namespace tandem::cpu_test
