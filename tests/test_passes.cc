// Graph passes: each rewrite's structure, and numerical equality with the
// unrewritten graph through the reference kernels.
#include <doctest/doctest.h>

#include <limits>
#include <map>
#include <string>
#include <vector>

#include "graph/passes.h"
#include "graph/shape_inference.h"
#include "kernels/reference/reference_kernels.h"
#include "tests/helpers.h"

using namespace tandem;

namespace {

using Values = std::vector<float>;
constexpr float kInf = std::numeric_limits<float>::infinity();

// Runs `g` node by node with the reference kernels; returns the graph outputs.
std::vector<Values> run_graph(const Graph& g, const std::vector<Values>& inputs) {
  std::map<int, Values> buf;
  REQUIRE(inputs.size() == g.inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) buf[g.inputs[i]] = inputs[i];
  for (const Node& n : g.nodes) {
    std::vector<const float*> in;
    for (int t : n.inputs) {
      if (t < 0)
        in.push_back(nullptr);
      else if (g.tensor(t).is_constant())
        in.push_back(g.tensor(t).data->f32());
      else {
        REQUIRE(buf.count(t) == 1);
        in.push_back(buf[t].data());
      }
    }
    std::vector<float*> out;
    for (int t : n.outputs) {
      buf[t].assign(static_cast<size_t>(shape_elements(g.tensor(t).shape)), 0.0f);
      out.push_back(buf[t].data());
    }
    Status st = run_reference_node(g, n, in.data(), out.data());
    REQUIRE_MESSAGE(st.ok(), st.to_string());
  }
  std::vector<Values> result;
  for (int t : g.outputs) result.push_back(buf[t]);
  return result;
}

Values input_for(const Graph& g, uint32_t seed) {
  return test::random_floats(static_cast<size_t>(shape_elements(g.tensor(g.inputs[0]).shape)),
                             seed);
}

// BN parameters over `c` channels with variances in [0.5, 2).
int add_bn(Graph& g, const std::string& name, int x, int64_t c, uint32_t seed) {
  int scale = test::add_random_constant(g, name + "_scale", {c}, seed);
  int bias = test::add_random_constant(g, name + "_bias", {c}, seed + 1);
  int mean = test::add_random_constant(g, name + "_mean", {c}, seed + 2);
  int var = g.add_constant(name + "_var", {c},
                           test::random_floats(static_cast<size_t>(c), seed + 3, 0.5f, 2.0f));
  NodeAttrs a;
  a.epsilon = 1e-3f;
  return test::add_simple_node(g, OpType::kBatchNormalization, name, {x, scale, bias, mean, var},
                               a);
}

NodeAttrs conv_attrs(int64_t group, int64_t stride) {
  NodeAttrs a;
  a.kernel_shape = {3, 3};
  a.strides = {stride, stride};
  a.pads = {1, 1, 1, 1};
  a.group = group;
  return a;
}

int count_op(const Graph& g, OpType op) {
  int k = 0;
  for (const Node& n : g.nodes) k += n.op == op;
  return k;
}

void require_ok(const Status& st) {
  REQUIRE_MESSAGE(st.ok(), st.to_string());
}

// Constant folding with the evaluator the converter is given.
Expected<int> fold_constants(Graph& g) {
  return pass_fold_constants(g, run_reference_node);
}

int run_pass(Expected<int> (*pass)(Graph&), Graph& g) {
  Expected<int> r = pass(g);
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  return *r;
}

// The graph still passes topo_sort unchanged and its shapes still infer.
void check_well_formed(Graph& g) {
  std::vector<std::string> before;
  for (const Node& n : g.nodes) before.push_back(n.name);
  require_ok(topo_sort(g));
  std::vector<std::string> after;
  for (const Node& n : g.nodes) after.push_back(n.name);
  CHECK(before == after);
  require_ok(infer_shapes(g));
}

}  // namespace

TEST_CASE("fold_batchnorm: Conv + BN equals the folded Conv") {
  for (auto [group, bias, stride] :
       {std::tuple{1, true, 1}, std::tuple{3, false, 2}, std::tuple{6, true, 1}}) {
    CAPTURE(group);
    Graph g;
    int x = test::add_input(g, "x", {2, 6, 7, 7});
    int w = test::add_random_constant(g, "w", {6, 6 / group, 3, 3}, 10);
    std::vector<int> ins{x, w};
    if (bias) ins.push_back(test::add_random_constant(g, "b", {6}, 11));
    int c = test::add_simple_node(g, OpType::kConv, "conv", ins, conv_attrs(group, stride));
    g.outputs = {add_bn(g, "bn", c, 6, 20)};
    require_ok(infer_shapes(g));
    Values in = input_for(g, 1);
    Values want = run_graph(g, {in})[0];

    CHECK(run_pass(pass_fold_batchnorm, g) == 1);
    CHECK(count_op(g, OpType::kBatchNormalization) == 0);
    REQUIRE(g.nodes.size() == 1);
    CHECK(g.nodes[0].outputs[0] == g.outputs[0]);
    check_well_formed(g);
    Values got = run_graph(g, {in})[0];
    CHECK(test::relative_error(got, want) <= 1e-5);
    // The original weights are untouched (they may live in a read-only mapping).
    CHECK(g.nodes[0].inputs[1] != w);
  }
}

TEST_CASE("fold_batchnorm: Gemm + BN equals the folded Gemm") {
  for (auto [trans_b, with_c, beta] : {std::tuple{true, true, 0.5f}, std::tuple{false, false, 1.0f},
                                       std::tuple{false, true, 2.0f}}) {
    CAPTURE(trans_b);
    CAPTURE(with_c);
    Graph g;
    int x = test::add_input(g, "x", {3, 8});
    Shape bs = trans_b ? Shape{5, 8} : Shape{8, 5};
    std::vector<int> ins{x, test::add_random_constant(g, "B", bs, 30)};
    if (with_c) ins.push_back(test::add_random_constant(g, "C", {5}, 31));
    NodeAttrs a;
    a.trans_b = trans_b;
    a.alpha = 1.5f;
    a.beta = beta;
    int y = test::add_simple_node(g, OpType::kGemm, "fc", ins, a);
    g.outputs = {add_bn(g, "bn", y, 5, 40)};
    require_ok(infer_shapes(g));
    Values in = input_for(g, 2);
    Values want = run_graph(g, {in})[0];
    CHECK(run_pass(pass_fold_batchnorm, g) == 1);
    REQUIRE(g.nodes.size() == 1);
    check_well_formed(g);
    CHECK(test::relative_error(run_graph(g, {in})[0], want) <= 1e-5);
  }
}

TEST_CASE("fold_batchnorm leaves BN alone when the Conv output has another use") {
  auto make = [](int variant) {
    Graph g;
    int x = test::add_input(g, "x", {1, 4, 5, 5});
    int w = test::add_random_constant(g, "w", {4, 4, 3, 3}, 1);
    NodeAttrs a = conv_attrs(1, 1);
    if (variant == 2) a.activation.min = 0;  // Conv+Relu then BN: not foldable
    int c = test::add_simple_node(g, OpType::kConv, "conv", {x, w}, a);
    int b = add_bn(g, "bn", c, 4, 5);
    g.outputs = {b};
    if (variant == 0) g.outputs.push_back(c);  // graph output
    if (variant == 1)
      g.outputs.push_back(test::add_simple_node(g, OpType::kSigmoid, "s", {c}));  // 2nd reader
    return g;
  };
  for (int v = 0; v < 3; ++v) {
    CAPTURE(v);
    Graph g = make(v);
    CHECK(run_pass(pass_fold_batchnorm, g) == 0);
    CHECK(count_op(g, OpType::kBatchNormalization) == 1);
  }
}

TEST_CASE("fuse_activations: Relu into Conv is numerically the same") {
  Graph g;
  int x = test::add_input(g, "x", {1, 3, 6, 6});
  int w = test::add_random_constant(g, "w", {4, 3, 3, 3}, 3);
  int c = test::add_simple_node(g, OpType::kConv, "conv", {x, w}, conv_attrs(1, 1));
  g.outputs = {test::add_simple_node(g, OpType::kRelu, "relu", {c})};
  require_ok(infer_shapes(g));
  Values in = input_for(g, 3);
  Values want = run_graph(g, {in})[0];
  CHECK(run_pass(pass_fuse_activations, g) == 1);
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].attrs.activation.min == 0.0f);
  CHECK(g.nodes[0].attrs.activation.max == kInf);
  CHECK(g.nodes[0].outputs[0] == g.outputs[0]);
  check_well_formed(g);
  CHECK(test::relative_error(run_graph(g, {in})[0], want) <= 1e-6);
}

TEST_CASE("fuse_activations: Clip into Gemm, Relu into Add and MatMul, chains compose") {
  Graph g;
  int x = test::add_input(g, "x", {2, 4});
  int b = test::add_random_constant(g, "B", {4, 4}, 4);
  int y = test::add_simple_node(g, OpType::kGemm, "fc", {x, b});
  NodeAttrs clip;
  clip.clip_min = 0.0f;
  clip.clip_max = 6.0f;
  int r6 = test::add_simple_node(g, OpType::kClip, "relu6", {y}, clip);
  int s = test::add_simple_node(g, OpType::kAdd, "add", {r6, x});
  int sr = test::add_simple_node(g, OpType::kRelu, "add_relu", {s});
  NodeAttrs clip2;
  clip2.clip_min = -1.0f;
  clip2.clip_max = 3.0f;
  int sc = test::add_simple_node(g, OpType::kClip, "add_clip", {sr}, clip2);
  int m = test::add_simple_node(g, OpType::kMatMul, "mm", {sc, b});
  g.outputs = {test::add_simple_node(g, OpType::kRelu, "mm_relu", {m})};
  require_ok(infer_shapes(g));
  // Inputs in [-4, 4) so Relu6's upper bound and Clip's 3 are both reached.
  Values in = test::random_floats(8, 7, -4.0f, 4.0f);
  Values want = run_graph(g, {in})[0];
  CHECK(run_pass(pass_fuse_activations, g) == 4);
  CHECK(test::relative_error(run_graph(g, {in})[0], want) <= 1e-6);
  REQUIRE(g.nodes.size() == 3);
  CHECK(g.nodes[0].attrs.activation.min == 0.0f);
  CHECK(g.nodes[0].attrs.activation.max == 6.0f);
  // Relu then Clip(-1, 3) is clamp(x, 0, 3).
  CHECK(g.nodes[1].op == OpType::kAdd);
  CHECK(g.nodes[1].attrs.activation.min == 0.0f);
  CHECK(g.nodes[1].attrs.activation.max == 3.0f);
  CHECK(g.nodes[2].op == OpType::kMatMul);
  CHECK(g.nodes[2].attrs.activation.min == 0.0f);
  check_well_formed(g);
}

TEST_CASE("fuse_activations skips shared, graph-output and unsupported producers") {
  Graph g;
  int x = test::add_input(g, "x", {1, 4});
  int b = test::add_random_constant(g, "B", {4, 4}, 4);
  int y1 = test::add_simple_node(g, OpType::kGemm, "fc1", {x, b});
  int r1 = test::add_simple_node(g, OpType::kRelu, "r1", {y1});
  int y2 = test::add_simple_node(g, OpType::kGemm, "fc2", {x, b});
  int r2 = test::add_simple_node(g, OpType::kRelu, "r2", {y2});
  int s = test::add_simple_node(g, OpType::kSigmoid, "sig", {x});
  int r3 = test::add_simple_node(g, OpType::kRelu, "r3", {s});
  int other = test::add_simple_node(g, OpType::kAdd, "other", {y1, r1});  // y1 read twice
  g.outputs = {other, y2, r2, r3};                                        // y2 is an output
  CHECK(run_pass(pass_fuse_activations, g) == 0);
  CHECK(g.nodes.size() == 7);
}

TEST_CASE("remove_identity rewires readers and keeps graph output names") {
  Graph g;
  int x = test::add_input(g, "x", {1, 4});
  int r = test::add_simple_node(g, OpType::kRelu, "relu", {x});
  int i1 = test::add_simple_node(g, OpType::kIdentity, "id1", {r});
  int s = test::add_simple_node(g, OpType::kSigmoid, "sig", {i1});
  int out = test::add_simple_node(g, OpType::kIdentity, "id_out", {s});         // graph output
  int passthrough = test::add_simple_node(g, OpType::kIdentity, "id_in", {x});  // input -> output
  g.outputs = {out, passthrough};
  CHECK(run_pass(pass_remove_identity, g) == 2);
  REQUIRE(g.nodes.size() == 3);
  CHECK(g.nodes[0].name == "relu");
  CHECK(g.nodes[1].name == "sig");
  CHECK(g.nodes[1].inputs[0] == r);
  CHECK(g.nodes[1].outputs[0] == out);  // sig now writes the output tensor itself
  CHECK(g.tensor(g.outputs[0]).name == "id_out_out");
  CHECK(g.nodes[2].name == "id_in");  // an input passed straight to an output stays
  check_well_formed(g);
}

TEST_CASE("fold_constants evaluates constant subgraphs with the reference kernels") {
  Graph g;
  int x = test::add_input(g, "x", {4});
  Values a = test::random_floats(4, 50), b = test::random_floats(4, 51);
  int ca = g.add_constant("a", {4}, a);
  int cb = g.add_constant("b", {4}, b);
  int sum = test::add_simple_node(g, OpType::kAdd, "sum", {ca, cb});
  int rl = test::add_simple_node(g, OpType::kRelu, "relu", {sum});
  int y = test::add_simple_node(g, OpType::kMul, "mul", {x, rl});
  int direct = test::add_simple_node(g, OpType::kSub, "const_out", {ca, cb});  // a graph output
  g.outputs = {y, direct};
  CHECK(run_pass(fold_constants, g) == 2);
  REQUIRE(g.nodes.size() == 2);
  CHECK(g.nodes[0].name == "mul");
  const Tensor& folded = g.tensor(g.nodes[0].inputs[1]);
  REQUIRE(folded.is_constant());
  CHECK(folded.shape == Shape{4});
  Values want(4);
  for (size_t i = 0; i < 4; ++i) want[i] = std::max(0.0f, a[i] + b[i]);
  CHECK(test::relative_error(Values(folded.data->f32(), folded.data->f32() + 4), want) <= 1e-7);
  check_well_formed(g);
}

TEST_CASE("eliminate_dead drops unused nodes and tensors and renumbers ids") {
  Graph g;
  int x = test::add_input(g, "x", {1, 4});
  test::add_random_constant(g, "unused_const", {4}, 1);
  int s = test::add_simple_node(g, OpType::kSigmoid, "dead_sig", {x});
  test::add_simple_node(g, OpType::kRelu, "dead_relu", {s});
  int r = test::add_simple_node(g, OpType::kRelu, "live_relu", {x});
  g.outputs = {r};
  CHECK(run_pass(pass_eliminate_dead, g) == 2 + 3);  // 2 nodes, 3 tensors
  REQUIRE(g.nodes.size() == 1);
  REQUIRE(g.tensors.size() == 2);
  CHECK(g.nodes[0].name == "live_relu");
  CHECK(g.tensor(g.inputs[0]).name == "x");
  CHECK(g.tensor(g.outputs[0]).name == "live_relu_out");
  CHECK(g.nodes[0].inputs[0] == g.inputs[0]);
  CHECK(g.nodes[0].outputs[0] == g.outputs[0]);
  check_well_formed(g);
}

TEST_CASE("fold_constants without an evaluator names the node it cannot fold") {
  Graph g;
  int x = test::add_input(g, "x", {4});
  int ca = g.add_constant("a", {4}, test::random_floats(4, 52));
  int rl = test::add_simple_node(g, OpType::kRelu, "const_relu", {ca});
  g.outputs = {test::add_simple_node(g, OpType::kMul, "mul", {x, rl})};
  require_ok(infer_shapes(g));
  Expected<int> r = pass_fold_constants(g, ConstantEvaluator());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("'const_relu'") != std::string::npos);
  CHECK(g.nodes.size() == 2);  // nothing was changed
}

TEST_CASE("run_default_passes: conv-bn-relu-identity-gemm keeps its outputs") {
  Graph g;
  int x = test::add_input(g, "x", {1, 3, 6, 6});
  int w = test::add_random_constant(g, "w", {4, 3, 3, 3}, 60);
  int c = test::add_simple_node(g, OpType::kConv, "conv", {x, w}, conv_attrs(1, 2));
  int bn = add_bn(g, "bn", c, 4, 61);
  int r = test::add_simple_node(g, OpType::kRelu, "relu", {bn});
  int id = test::add_simple_node(g, OpType::kIdentity, "dropout", {r});
  NodeAttrs flat;
  flat.axis = 1;
  int f = test::add_simple_node(g, OpType::kFlatten, "flatten", {id}, flat);
  int fb = test::add_random_constant(g, "fc_w", {36, 5}, 62);
  int bias = test::add_simple_node(
      g, OpType::kAdd, "bias_sum",
      {test::add_random_constant(g, "c1", {5}, 63), test::add_random_constant(g, "c2", {5}, 64)});
  int y = test::add_simple_node(g, OpType::kGemm, "fc", {f, fb, bias});
  g.outputs = {y};
  require_ok(infer_shapes(g));
  Values in = input_for(g, 5);
  Values want = run_graph(g, {in})[0];

  auto reports = run_default_passes(g, run_reference_node);
  REQUIRE_MESSAGE(reports.ok(), reports.status().to_string());
  std::map<std::string, int> by_pass;
  for (const PassReport& p : *reports) by_pass[p.pass] = p.rewrites;
  CHECK(by_pass["remove_identity"] == 1);
  CHECK(by_pass["fold_constants"] == 1);
  CHECK(by_pass["fold_batchnorm"] == 1);
  CHECK(by_pass["fuse_activations"] == 1);
  CHECK(by_pass["eliminate_dead"] > 0);
  REQUIRE(g.nodes.size() == 3);
  CHECK(g.nodes[0].op == OpType::kConv);
  CHECK(g.nodes[0].attrs.activation.min == 0.0f);
  CHECK(g.nodes[1].op == OpType::kFlatten);
  CHECK(g.nodes[2].op == OpType::kGemm);
  check_well_formed(g);
  CHECK(test::relative_error(run_graph(g, {in})[0], want) <= 1e-5);
}

TEST_CASE("passes refuse graphs with dangling tensor ids instead of crashing") {
  Graph g;
  int x = test::add_input(g, "x", {1, 4});
  test::add_simple_node(g, OpType::kRelu, "relu", {x});
  g.nodes[0].inputs[0] = 77;
  g.outputs = {1};
  for (auto pass : {pass_fold_batchnorm, pass_fuse_activations, pass_remove_identity,
                    fold_constants, pass_eliminate_dead}) {
    Expected<int> r = pass(g);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("'relu'") != std::string::npos);
  }
}
