// The pattern fusions fuse_layer_norm, fuse_gelu and channels_first: each
// exported form becomes the fused node, the graph computes what it did before
// (reference kernels, relative 1e-5), and near-misses are left alone.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "graph/passes.h"
#include "graph/shape_inference.h"
#include "kernels/reference/reference_kernels.h"
#include "tests/helpers.h"

using namespace tandem;

namespace {

using Values = std::vector<float>;

std::vector<Values> run_graph(const Graph& g, const Values& input) {
  std::map<int, Values> buf;
  buf[g.inputs[0]] = input;
  for (const Node& n : g.nodes) {
    std::vector<const float*> in;
    for (int t : n.inputs)
      in.push_back(t < 0                       ? nullptr
                   : g.tensor(t).is_constant() ? g.tensor(t).data->f32()
                                               : buf.at(t).data());
    std::vector<float*> out;
    for (int t : n.outputs) {
      buf[t].assign(size_t(shape_elements(g.tensor(t).shape)), 0.0f);
      out.push_back(buf[t].data());
    }
    Status st = run_reference_node(g, n, in.data(), out.data());
    REQUIRE_MESSAGE(st.ok(), st.to_string());
  }
  std::vector<Values> r;
  for (int t : g.outputs) r.push_back(buf.at(t));
  return r;
}

int count_op(const Graph& g, OpType op) {
  int k = 0;
  for (const Node& n : g.nodes) k += n.op == op;
  return k;
}

int scalar(Graph& g, const std::string& name, float v) {
  return g.add_constant(name, {}, {v});
}

int op(Graph& g, OpType type, const std::string& name, std::vector<int> in, NodeAttrs a = {}) {
  return test::add_simple_node(g, type, name, std::move(in), std::move(a));
}

// The exported LayerNorm over `axes` of x; gamma/beta of `param` shape (none when empty).
int layer_norm_decomposition(Graph& g, int x, std::vector<int64_t> axes, Shape param,
                             const std::string& p = "ln") {
  NodeAttrs rm;
  rm.axes = axes;
  int mean = op(g, OpType::kReduceMean, p + "_mean", {x}, rm);
  int d = op(g, OpType::kSub, p + "_sub", {x, mean});
  int sq = op(g, OpType::kPow, p + "_pow", {d, scalar(g, p + "_two", 2.0f)});
  int var = op(g, OpType::kReduceMean, p + "_var", {sq}, rm);
  int ve = op(g, OpType::kAdd, p + "_eps", {var, scalar(g, p + "_e", 1e-6f)});
  int s = op(g, OpType::kSqrt, p + "_sqrt", {ve});
  int y = op(g, OpType::kDiv, p + "_div", {d, s});
  if (param.empty()) return y;
  y = op(g, OpType::kMul, p + "_gamma", {y, test::add_random_constant(g, p + "_g", param, 5)});
  return op(g, OpType::kAdd, p + "_beta", {test::add_random_constant(g, p + "_b", param, 6), y});
}

// Runs the default passes and checks the outputs did not move; returns the rewritten graph.
Graph passes_keep_values(Graph g) {
  REQUIRE(infer_shapes(g).ok());
  const Values x =
      test::random_floats(size_t(shape_elements(g.tensor(g.inputs[0]).shape)), 3, -2.0f, 3.0f);
  const std::vector<Values> before = run_graph(g, x);
  auto r = run_default_passes(g, run_reference_node);
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  const std::vector<Values> after = run_graph(g, x);
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < after.size(); ++i)
    CHECK(test::relative_error(after[i], before[i]) <= 1e-5);
  return g;
}

}  // namespace

TEST_CASE("fuse_layer_norm: last axis and channel axis forms become one node") {
  struct Case {
    Shape x;
    std::vector<int64_t> axes;
    Shape param;
  };
  for (Case c : {Case{{2, 5, 16}, {2}, {16}}, Case{{1, 8, 3, 4}, {1}, {8, 1, 1}},
                 Case{{2, 3, 4}, {1, 2}, {3, 4}}, Case{{2, 6}, {1}, {}}}) {
    CAPTURE(c.x);
    Graph g;
    int x = test::add_input(g, "x", c.x);
    g.outputs = {layer_norm_decomposition(g, x, c.axes, c.param)};
    Graph f = passes_keep_values(g);
    REQUIRE(f.nodes.size() == 1);
    CHECK(f.nodes[0].op == OpType::kLayerNormalization);
    CHECK(f.nodes[0].attrs.axes == c.axes);
    CHECK(f.nodes[0].attrs.epsilon == 1e-6f);
    CHECK(f.nodes[0].inputs.size() == (c.param.empty() ? 2u : 3u));
  }
}

TEST_CASE("fuse_layer_norm leaves near-misses alone") {
  SUBCASE("the centred value is read elsewhere too") {
    Graph g;
    int x = test::add_input(g, "x", {2, 8});
    int y = layer_norm_decomposition(g, x, {1}, {8});
    g.outputs = {y, g.nodes[1].outputs[0]};
    CHECK(count_op(passes_keep_values(g), OpType::kLayerNormalization) == 0);
  }
  SUBCASE("exponent 3") {
    Graph g;
    int x = test::add_input(g, "x", {2, 8});
    g.outputs = {layer_norm_decomposition(g, x, {1}, {8})};
    g.tensor(g.nodes[2].inputs[1]).data = ConstantData::from_floats({3.0f});
    CHECK(count_op(passes_keep_values(g), OpType::kLayerNormalization) == 0);
  }
  SUBCASE("gamma varies along a non-normalised axis: the core fuses, the Mul stays") {
    Graph g;
    int x = test::add_input(g, "x", {3, 8});
    int y = layer_norm_decomposition(g, x, {1}, {});
    g.outputs = {op(g, OpType::kMul, "odd", {y, test::add_random_constant(g, "k", {3, 1}, 2)})};
    Graph f = passes_keep_values(g);
    CHECK(count_op(f, OpType::kLayerNormalization) == 1);
    CHECK(count_op(f, OpType::kMul) == 1);
  }
}

TEST_CASE("fuse_gelu: erf forms in every order and the tanh form") {
  for (int form = 0; form < 4; ++form) {
    CAPTURE(form);
    Graph g;
    int x = test::add_input(g, "x", {2, 3, 5});
    int d = form % 2 ? op(g, OpType::kMul, "s", {scalar(g, "r", float(M_SQRT1_2)), x})
                     : op(g, OpType::kDiv, "s", {x, scalar(g, "r", float(M_SQRT2))});
    int e = op(g, OpType::kErf, "erf", {d});
    int a = op(g, OpType::kAdd, "one", {scalar(g, "c1", 1.0f), e});
    if (form < 2) {
      int m = op(g, OpType::kMul, "m", {x, a});
      g.outputs = {op(g, OpType::kMul, "half", {m, scalar(g, "h", 0.5f)})};
    } else {
      int h = op(g, OpType::kMul, "hx", {scalar(g, "h", 0.5f), x});
      g.outputs = {op(g, OpType::kMul, "m", {a, h})};
    }
    Graph f = passes_keep_values(g);
    REQUIRE(f.nodes.size() == 1);
    CHECK(f.nodes[0].op == OpType::kGelu);
    CHECK(f.nodes[0].attrs.gelu_approximate == GeluApproximate::kErf);
  }
  Graph g;  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  int x = test::add_input(g, "x", {4, 9});
  int p = op(g, OpType::kPow, "cube", {x, scalar(g, "three", 3.0f)});
  int c = op(g, OpType::kMul, "c", {p, scalar(g, "k1", 0.044715f)});
  int in = op(g, OpType::kAdd, "in", {x, c});
  int u = op(g, OpType::kMul, "u", {scalar(g, "k2", 0.7978845608f), in});
  int t = op(g, OpType::kTanh, "tanh", {u});
  int a = op(g, OpType::kAdd, "one", {t, scalar(g, "c1", 1.0f)});
  int h = op(g, OpType::kMul, "hx", {x, scalar(g, "h", 0.5f)});
  g.outputs = {op(g, OpType::kMul, "m", {h, a})};
  Graph f = passes_keep_values(g);
  REQUIRE(f.nodes.size() == 1);
  CHECK(f.nodes[0].attrs.gelu_approximate == GeluApproximate::kTanh);
}

TEST_CASE("fuse_gelu leaves near-misses alone") {
  for (int miss = 0; miss < 2; ++miss) {
    CAPTURE(miss);
    Graph g;
    int x = test::add_input(g, "x", {2, 7});
    int d = op(g, OpType::kDiv, "s", {x, scalar(g, "r", miss == 0 ? 1.5f : float(M_SQRT2))});
    int e = op(g, OpType::kErf, "erf", {d});
    int a = op(g, OpType::kAdd, "one", {e, scalar(g, "c1", 1.0f)});
    int m = op(g, OpType::kMul, "m", {x, a});
    g.outputs = {op(g, OpType::kMul, "half", {m, scalar(g, "h", 0.5f)})};
    if (miss == 1) g.outputs.push_back(e);  // Erf's value is needed on its own
    CHECK(count_op(passes_keep_values(g), OpType::kGelu) == 0);
  }
}

namespace {

// A ConvNeXt block: dwconv 7x7 -> NHWC -> LN -> Linear -> GELU -> Linear -> NCHW ->
// layer scale -> + x.
Graph convnext_block(int64_t c, bool softmax_inside = false) {
  Graph g;
  int x = test::add_input(g, "x", {1, c, 6, 5});
  NodeAttrs dw;
  dw.kernel_shape = {7, 7};
  dw.strides = {1, 1};
  dw.pads = {3, 3, 3, 3};
  dw.group = c;
  int y = op(g, OpType::kConv, "dw",
             {x, test::add_random_constant(g, "dw_w", {c, 1, 7, 7}, 1),
              test::add_random_constant(g, "dw_b", {c}, 2)},
             dw);
  NodeAttrs to_nhwc, to_nchw;
  to_nhwc.perm = {0, 2, 3, 1};
  to_nchw.perm = {0, 3, 1, 2};
  y = op(g, OpType::kTranspose, "t1", {y}, to_nhwc);
  y = layer_norm_decomposition(g, y, {3}, {c});
  y = op(g, OpType::kMatMul, "fc1", {y, test::add_random_constant(g, "w1", {c, 4 * c}, 3)});
  y = op(g, OpType::kAdd, "b1", {test::add_random_constant(g, "b1v", {4 * c}, 4), y});
  if (softmax_inside) {
    NodeAttrs sm;
    sm.axis = 3;
    y = op(g, OpType::kSoftmax, "sm", {y}, sm);
  }
  int d = op(g, OpType::kDiv, "gd", {y, scalar(g, "r", float(M_SQRT2))});
  int a = op(g, OpType::kAdd, "ga", {op(g, OpType::kErf, "ge", {d}), scalar(g, "c1", 1.0f)});
  y = op(g, OpType::kMul, "gh", {op(g, OpType::kMul, "gm", {y, a}), scalar(g, "h", 0.5f)});
  y = op(g, OpType::kMatMul, "fc2", {y, test::add_random_constant(g, "w2", {4 * c, c}, 5)});
  y = op(g, OpType::kAdd, "b2", {y, test::add_random_constant(g, "b2v", {c}, 6)});
  y = op(g, OpType::kTranspose, "t2", {y}, to_nchw);
  y = op(g, OpType::kMul, "ls", {test::add_random_constant(g, "scale", {c, 1, 1}, 7), y});
  g.outputs = {op(g, OpType::kAdd, "res", {y, x})};
  return g;
}

}  // namespace

TEST_CASE("channels_first: a ConvNeXt block runs in NCHW with no transposes") {
  Graph f = passes_keep_values(convnext_block(8));
  CHECK(count_op(f, OpType::kTranspose) == 0);
  CHECK(count_op(f, OpType::kMatMul) == 0);
  CHECK(count_op(f, OpType::kMul) == 0);  // the layer scale is in fc2's weights
  CHECK(count_op(f, OpType::kConv) == 3);
  CHECK(count_op(f, OpType::kGelu) == 1);
  const Node& ln = f.nodes[1];
  REQUIRE(ln.op == OpType::kLayerNormalization);
  CHECK(ln.attrs.axes == std::vector<int64_t>{1});
  const Node& fc1 = f.nodes[2];
  REQUIRE(fc1.op == OpType::kConv);
  CHECK(f.tensor(fc1.inputs[1]).shape == Shape{32, 8, 1, 1});
  CHECK(fc1.inputs.size() == 3);  // the bias Add folded in
  CHECK(f.tensor(f.outputs[0]).shape == Shape{1, 8, 6, 5});
}

TEST_CASE("channels_first leaves an island with an op it cannot rewrite alone") {
  Graph f = passes_keep_values(convnext_block(4, true));
  CHECK(count_op(f, OpType::kTranspose) == 2);
  CHECK(count_op(f, OpType::kMatMul) == 2);
  CHECK(count_op(f, OpType::kLayerNormalization) == 1);  // fused, over the last axis
  CHECK(count_op(f, OpType::kGelu) == 1);
}
