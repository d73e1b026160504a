#include <doctest/doctest.h>

#include <limits>

#include "graph/shape_inference.h"
#include "graph/shape_util.h"
#include "tests/helpers.h"

using namespace tandem;

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// One node reading inputs of the given shapes (an empty optional = absent
// input, id -1); weights are constants so their bytes are checked too.
struct OneNode {
  Graph g;
  Status status;
  std::vector<Shape> out;

  OneNode(OpType op, std::vector<Shape> inputs, NodeAttrs attrs = {}, size_t outputs = 1,
          std::vector<bool> absent = {}) {
    Node n;
    n.name = "n0";
    n.op = op;
    n.attrs = std::move(attrs);
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (i < absent.size() && absent[i]) {
        n.inputs.push_back(-1);
      } else if (i == 0) {
        n.inputs.push_back(test::add_input(g, "x", inputs[i]));
      } else {
        n.inputs.push_back(test::add_random_constant(g, "w" + std::to_string(i), inputs[i], 1));
      }
    }
    for (size_t k = 0; k < outputs; ++k)
      n.outputs.push_back(test::add_value(g, "y" + std::to_string(k)));
    g.add_node(n);
    status = infer_shapes(g);
    if (status.ok())
      for (int id : g.nodes[0].outputs) out.push_back(g.tensor(id).shape);
  }
  Shape shape() const { return out.empty() ? Shape{-99} : out[0]; }
  bool names_node() const { return status.message().find("'n0'") != std::string::npos; }
};

NodeAttrs conv_attrs(std::vector<int64_t> strides, std::vector<int64_t> pads,
                     std::vector<int64_t> dilations = {}, int64_t group = 1) {
  NodeAttrs a;
  a.strides = std::move(strides);
  a.pads = std::move(pads);
  a.dilations = std::move(dilations);
  a.group = group;
  return a;
}

NodeAttrs pool_attrs(int64_t k, int64_t s, std::vector<int64_t> pads, bool ceil_mode) {
  NodeAttrs a;
  a.kernel_shape = {k, k};
  a.strides = {s, s};
  a.pads = std::move(pads);
  a.ceil_mode = ceil_mode;
  return a;
}

void check_invalid(const OneNode& r) {
  CHECK(r.status.code() == StatusCode::kInvalidModel);
  CHECK(r.names_node());
}

}  // namespace

TEST_CASE("Conv: strides, asymmetric pads, dilations, groups, bias") {
  // 224 + 3 + 3 - 7 = 223, /2 = 111, +1 = 112.
  CHECK(OneNode(OpType::kConv, {{1, 3, 224, 224}, {64, 3, 7, 7}, {64}},
                conv_attrs({2, 2}, {3, 3, 3, 3}))
            .shape() == Shape{1, 64, 112, 112});
  // H: 10 + 1 + 0 - 3 = 8 -> 9; W: 10 + 0 + 2 - 3 = 9, /2 = 4 -> 5.
  CHECK(OneNode(OpType::kConv, {{2, 4, 10, 10}, {8, 4, 3, 3}}, conv_attrs({1, 2}, {1, 0, 0, 2}))
            .shape() == Shape{2, 8, 9, 5});
  // Dilation 2 makes a 3x3 span 5: 9 - 5 + 1 = 5.
  CHECK(OneNode(OpType::kConv, {{1, 1, 9, 9}, {1, 1, 3, 3}}, conv_attrs({}, {}, {2, 2})).shape() ==
        Shape{1, 1, 5, 5});
  // Depthwise: group = C = 32, W = [32, 1, 3, 3].
  CHECK(OneNode(OpType::kConv, {{1, 32, 8, 8}, {32, 1, 3, 3}}, conv_attrs({}, {1, 1, 1, 1}, {}, 32))
            .shape() == Shape{1, 32, 8, 8});
  // Grouped with channel multiplier: C = 4, group 2, M = 6.
  CHECK(OneNode(OpType::kConv, {{1, 4, 5, 5}, {6, 2, 1, 1}}, conv_attrs({}, {}, {}, 2)).shape() ==
        Shape{1, 6, 5, 5});
  // Optional bias absent (-1).
  CHECK(OneNode(OpType::kConv, {{1, 2, 3, 3}, {1, 2, 3, 3}, {1}}, {}, 1, {false, false, true})
            .shape() == Shape{1, 1, 1, 1});
}

TEST_CASE("Conv: inconsistencies are invalid_model errors naming the node") {
  check_invalid(OneNode(OpType::kConv, {{1, 3, 8, 8}, {4, 2, 3, 3}}));  // C vs W[1]
  check_invalid(
      OneNode(OpType::kConv, {{1, 4, 8, 8}, {3, 2, 3, 3}}, conv_attrs({}, {}, {}, 2)));  // M % g
  check_invalid(
      OneNode(OpType::kConv, {{1, 4, 8, 8}, {4, 4, 3, 3}}, conv_attrs({}, {}, {}, 0)));  // group 0
  check_invalid(OneNode(OpType::kConv, {{1, 3, 8, 8}, {4, 3, 3, 3}, {5}}));  // bias size
  check_invalid(OneNode(OpType::kConv, {{1, 3, 2, 2}, {4, 3, 3, 3}}));       // kernel > input
  check_invalid(OneNode(OpType::kConv, {{1, 3, 8}, {4, 3, 3, 3}}));          // rank 3
  check_invalid(
      OneNode(OpType::kConv, {{1, 3, 8, 8}, {4, 3, 3, 3}}, conv_attrs({0, 1}, {})));  // stride 0
  check_invalid(
      OneNode(OpType::kConv, {{1, 3, 8, 8}, {4, 3, 3, 3}}, conv_attrs({}, {1, 1})));  // 2 pads
  check_invalid(
      OneNode(OpType::kConv, {{1, 3, 8, 8}, {4, 3, 3, 3}}, conv_attrs({}, {-1, 0, 0, 0})));
  check_invalid(
      OneNode(OpType::kConv, {{1, 3, 8, 8}, {4, 3, 3, 3}}, conv_attrs({kInt64Max, 1}, {})));
  check_invalid(OneNode(OpType::kConv, {{1, 3, 8, 8}}));  // no weight
  NodeAttrs k;
  k.kernel_shape = {5, 5};
  check_invalid(OneNode(OpType::kConv, {{1, 3, 8, 8}, {4, 3, 3, 3}}, k));
}

TEST_CASE("absurd dims are rejected") {
  check_invalid(OneNode(OpType::kRelu, {{1, -3}}));
  check_invalid(OneNode(OpType::kRelu, {{1, (int64_t{1} << 31) + 1}}));
  check_invalid(OneNode(OpType::kRelu, {{1 << 30, 1 << 30, 1 << 30}}));  // 2^90 elements
  NodeAttrs r;
  r.shape = {kInt64Max, 1};
  check_invalid(OneNode(OpType::kReshape, {{4}}, r));
  r.shape = {1 << 20, 1 << 20, int64_t{1} << 31, -1};  // 2^71 would wrap to 0
  check_invalid(OneNode(OpType::kReshape, {{4}}, r));
}

TEST_CASE("BatchNormalization and unary ops keep the shape") {
  CHECK(OneNode(OpType::kBatchNormalization, {{2, 3, 4, 4}, {3}, {3}, {3}, {3}}).shape() ==
        Shape{2, 3, 4, 4});
  check_invalid(OneNode(OpType::kBatchNormalization, {{2, 3, 4, 4}, {3}, {4}, {3}, {3}}));
  check_invalid(OneNode(OpType::kBatchNormalization, {{2, 3, 4, 4}, {3}, {3}, {3}}));
  for (OpType op : {OpType::kRelu, OpType::kClip, OpType::kSigmoid, OpType::kHardSigmoid,
                    OpType::kHardSwish, OpType::kIdentity, OpType::kTanh, OpType::kLeakyRelu}) {
    CHECK(OneNode(op, {{2, 5, 7}}).shape() == Shape{2, 5, 7});
    check_invalid(OneNode(op, {{2}, {2}}));
  }
}

TEST_CASE("binary ops broadcast like numpy") {
  for (OpType op : {OpType::kAdd, OpType::kSub, OpType::kMul, OpType::kDiv}) {
    CHECK(OneNode(op, {{1, 3, 4, 4}, {3, 1, 1}}).shape() == Shape{1, 3, 4, 4});
    CHECK(OneNode(op, {{5, 1, 4}, {1, 3, 1}}).shape() == Shape{5, 3, 4});
    CHECK(OneNode(op, {{}, {2, 2}}).shape() == Shape{2, 2});
    CHECK(OneNode(op, {{2, 0}, {1}}).shape() == Shape{2, 0});
    check_invalid(OneNode(op, {{1, 3, 4}, {2, 4}}));
  }
}

TEST_CASE("pools: ceil_mode follows the ONNX last-window rule") {
  // floor((112 - 3) / 2) + 1 = 55; ceil gives 56.
  CHECK(OneNode(OpType::kMaxPool, {{1, 8, 112, 112}}, pool_attrs(3, 2, {}, false)).shape() ==
        Shape{1, 8, 55, 55});
  CHECK(OneNode(OpType::kMaxPool, {{1, 8, 112, 112}}, pool_attrs(3, 2, {}, true)).shape() ==
        Shape{1, 8, 56, 56});
  // 6 + 1 + 1 - 2 = 6: ceil(6/2) + 1 = 4, but window 3 would start at 6 =
  // in + pad_begin, entirely in the end pad, so it is dropped: 3.
  CHECK(
      OneNode(OpType::kAveragePool, {{1, 1, 6, 6}}, pool_attrs(2, 2, {1, 1, 1, 1}, true)).shape() ==
      Shape{1, 1, 4, 4});
  CHECK(
      OneNode(OpType::kAveragePool, {{1, 1, 5, 5}}, pool_attrs(2, 2, {1, 1, 1, 1}, true)).shape() ==
      Shape{1, 1, 3, 3});
  // 5 + 1 + 1 - 2 = 5 -> ceil(5/2)+1 = 4; last start 6 >= 5 + 1: dropped -> 3.
  CHECK(pool_output_dim(5, 2, 2, 1, 1, 1, true) == 3);
  // 6 + 1 + 1 - 2 = 6 -> 6/2+1 = 4; last start 6 < 6 + 1: kept.
  CHECK(pool_output_dim(6, 2, 2, 1, 1, 1, true) == 4);
  // Asymmetric pads.
  CHECK(OneNode(OpType::kMaxPool, {{1, 1, 4, 4}}, pool_attrs(2, 2, {0, 0, 1, 1}, false)).shape() ==
        Shape{1, 1, 2, 2});
  CHECK(OneNode(OpType::kMaxPool, {{1, 1, 4, 4}}, pool_attrs(2, 2, {1, 1, 1, 1}, false)).shape() ==
        Shape{1, 1, 3, 3});
  check_invalid(OneNode(OpType::kMaxPool, {{1, 1, 4, 4}},
                        pool_attrs(2, 2, {2, 0, 0, 0}, false)));  // pad >= k
  check_invalid(OneNode(OpType::kMaxPool, {{1, 1, 4, 4}}, pool_attrs(5, 1, {}, false)));
  check_invalid(OneNode(OpType::kMaxPool, {{1, 1, 4, 4}}, NodeAttrs{}));  // no kernel_shape
  CHECK(OneNode(OpType::kGlobalAveragePool, {{2, 7, 5, 3}}).shape() == Shape{2, 7, 1, 1});
  CHECK(OneNode(OpType::kGlobalMaxPool, {{2, 7, 5, 3}}).shape() == Shape{2, 7, 1, 1});
  check_invalid(OneNode(OpType::kGlobalMaxPool, {{2, 7}}));
}

TEST_CASE("ReduceMean axes and keepdims") {
  NodeAttrs a;
  a.axes = {2, -1};
  CHECK(OneNode(OpType::kReduceMean, {{2, 3, 4, 5}}, a).shape() == Shape{2, 3, 1, 1});
  a.keepdims = false;
  CHECK(OneNode(OpType::kReduceMean, {{2, 3, 4, 5}}, a).shape() == Shape{2, 3});
  a.axes = {};
  CHECK(OneNode(OpType::kReduceMean, {{2, 3}}, a).shape() == Shape{});
  a.axes = {1, -2};
  check_invalid(OneNode(OpType::kReduceMean, {{2, 3, 4}}, a));  // repeated
  a.axes = {3};
  check_invalid(OneNode(OpType::kReduceMean, {{2, 3, 4}}, a));
}

TEST_CASE("Concat and Split") {
  NodeAttrs a;
  a.axis = 1;
  {
    Graph g;
    int x0 = test::add_input(g, "x0", {1, 2, 4});
    int x1 = test::add_input(g, "x1", {1, 3, 4});
    int y = test::add_simple_node(g, OpType::kConcat, "cat", {x0, x1, x0}, a);
    REQUIRE(infer_shapes(g).ok());
    CHECK(g.tensor(y).shape == Shape{1, 7, 4});
    Graph bad;
    x0 = test::add_input(bad, "x0", {1, 2, 4});
    x1 = test::add_input(bad, "x1", {1, 3, 5});
    test::add_simple_node(bad, OpType::kConcat, "cat", {x0, x1}, a);
    Status st = infer_shapes(bad);
    CHECK(st.code() == StatusCode::kInvalidModel);
    CHECK(st.message().find("'cat'") != std::string::npos);
  }
  a.axis = -1;
  a.split = {2, 0, 3};
  OneNode s(OpType::kSplit, {{4, 5}}, a, 3);
  REQUIRE(s.status.ok());
  CHECK(s.out == std::vector<Shape>{{4, 2}, {4, 0}, {4, 3}});
  a.split = {};
  OneNode even(
      OpType::kSplit, {{6, 4}},
      [] {
        NodeAttrs b;
        b.axis = 0;
        return b;
      }(),
      3);
  CHECK(even.out == std::vector<Shape>{{2, 4}, {2, 4}, {2, 4}});
  OneNode uneven(OpType::kSplit, {{4, 7}}, a, 3);  // chunks of ceil(7/3) = 3: 3, 3, 1
  CHECK(uneven.out == std::vector<Shape>{{4, 3}, {4, 3}, {4, 1}});
  a.split = {2, 2};
  check_invalid(OneNode(OpType::kSplit, {{4, 5}}, a, 2));  // sum 4 != 5
  check_invalid(OneNode(OpType::kSplit, {{4, 5}}, a, 3));  // count
}

TEST_CASE("Slice: negative indices, negative steps, clamped extremes") {
  NodeAttrs a;
  a.starts = {1, 0};
  a.ends = {kInt64Max, -1};
  a.axes = {0, 2};
  CHECK(OneNode(OpType::kSlice, {{5, 3, 8}}, a).shape() == Shape{4, 3, 7});
  // Reverse the whole axis: start -1, end INT64_MIN, step -1.
  a = {};
  a.starts = {-1};
  a.ends = {kInt64Min};
  a.axes = {-1};
  a.steps = {-1};
  CHECK(OneNode(OpType::kSlice, {{2, 6}}, a).shape() == Shape{2, 6});
  // Step -2 from 5 down to (exclusive) 0: 5, 3, 1.
  a.starts = {5};
  a.ends = {0};
  a.steps = {-2};
  CHECK(OneNode(OpType::kSlice, {{2, 6}}, a).shape() == Shape{2, 3});
  // Step 3 over [1, 8): 1, 4, 7.
  a.starts = {1};
  a.ends = {8};
  a.steps = {3};
  CHECK(OneNode(OpType::kSlice, {{2, 8}}, a).shape() == Shape{2, 3});
  // Huge steps pick one element without overflowing.
  a.starts = {0};
  a.ends = {kInt64Max};
  a.steps = {kInt64Max};
  CHECK(OneNode(OpType::kSlice, {{2, 8}}, a).shape() == Shape{2, 1});
  a.starts = {kInt64Max};
  a.ends = {kInt64Min};
  a.steps = {kInt64Min};
  CHECK(OneNode(OpType::kSlice, {{2, 8}}, a).shape() == Shape{2, 1});
  // Empty result when start is past end.
  a.starts = {4};
  a.ends = {2};
  a.steps = {1};
  CHECK(OneNode(OpType::kSlice, {{2, 8}}, a).shape() == Shape{2, 0});
  a.steps = {0};
  check_invalid(OneNode(OpType::kSlice, {{2, 8}}, a));
  a.steps = {1};
  a.axes = {2};
  check_invalid(OneNode(OpType::kSlice, {{2, 8}}, a));
  a.axes = {};
  a.ends = {};
  check_invalid(OneNode(OpType::kSlice, {{2, 8}}, a));
}

TEST_CASE("Transpose, Reshape, Flatten") {
  NodeAttrs a;
  a.perm = {0, 2, 3, 1};
  CHECK(OneNode(OpType::kTranspose, {{1, 3, 4, 5}}, a).shape() == Shape{1, 4, 5, 3});
  CHECK(OneNode(OpType::kTranspose, {{1, 3, 4}}).shape() == Shape{4, 3, 1});  // default reverses
  a.perm = {0, 0, 1};
  check_invalid(OneNode(OpType::kTranspose, {{1, 3, 4}}, a));
  a = {};
  a.shape = {0, -1};
  CHECK(OneNode(OpType::kReshape, {{2, 3, 4}}, a).shape() == Shape{2, 12});
  a.shape = {-1, 0, 2};
  CHECK(OneNode(OpType::kReshape, {{3, 4, 2}}, a).shape() == Shape{3, 4, 2});
  a.shape = {-1, -1};
  check_invalid(OneNode(OpType::kReshape, {{2, 3}}, a));
  a.shape = {5, -1};
  check_invalid(OneNode(OpType::kReshape, {{2, 3}}, a));
  a.shape = {4, 2};
  check_invalid(OneNode(OpType::kReshape, {{2, 3}}, a));
  a.shape = {0, 0, 0};
  check_invalid(OneNode(OpType::kReshape, {{6}}, a));
  a = {};
  a.axis = 1;
  CHECK(OneNode(OpType::kFlatten, {{2, 3, 4, 5}}, a).shape() == Shape{2, 60});
  a.axis = 0;
  CHECK(OneNode(OpType::kFlatten, {{2, 3}}, a).shape() == Shape{1, 6});
  a.axis = -2;
  CHECK(OneNode(OpType::kFlatten, {{2, 3, 4}}, a).shape() == Shape{2, 12});
  a.axis = 4;
  check_invalid(OneNode(OpType::kFlatten, {{2, 3, 4}}, a));
}

TEST_CASE("Gemm and MatMul") {
  CHECK(OneNode(OpType::kGemm, {{2, 5}, {5, 3}, {3}}).shape() == Shape{2, 3});
  NodeAttrs t;
  t.trans_a = true;
  t.trans_b = true;
  CHECK(OneNode(OpType::kGemm, {{5, 2}, {3, 5}, {2, 1}}, t).shape() == Shape{2, 3});
  CHECK(OneNode(OpType::kGemm, {{5, 2}, {3, 5}}, t).shape() == Shape{2, 3});
  check_invalid(OneNode(OpType::kGemm, {{2, 5}, {4, 3}}));
  check_invalid(OneNode(OpType::kGemm, {{2, 5}, {5, 3}, {2, 2}}));     // C does not broadcast
  check_invalid(OneNode(OpType::kGemm, {{2, 5}, {5, 3}, {1, 2, 3}}));  // C rank 3
  check_invalid(OneNode(OpType::kGemm, {{1, 2, 5}, {5, 3}}));
  CHECK(OneNode(OpType::kMatMul, {{2, 5}, {5, 3}}).shape() == Shape{2, 3});
  CHECK(OneNode(OpType::kMatMul, {{4, 1, 2, 5}, {3, 5, 6}}).shape() == Shape{4, 3, 2, 6});
  CHECK(OneNode(OpType::kMatMul, {{5}, {2, 5, 3}}).shape() == Shape{2, 3});
  CHECK(OneNode(OpType::kMatMul, {{2, 4, 5}, {5}}).shape() == Shape{2, 4});
  CHECK(OneNode(OpType::kMatMul, {{5}, {5}}).shape() == Shape{});
  check_invalid(OneNode(OpType::kMatMul, {{2, 5}, {4, 3}}));
  check_invalid(OneNode(OpType::kMatMul, {{2, 2, 5}, {3, 5, 3}}));
}

TEST_CASE("Softmax and Pad") {
  NodeAttrs a;
  a.axis = -1;
  CHECK(OneNode(OpType::kSoftmax, {{2, 10}}, a).shape() == Shape{2, 10});
  a.axis = 2;
  check_invalid(OneNode(OpType::kSoftmax, {{2, 10}}, a));
  a = {};
  a.pads = {0, 0, 1, 2, 0, 0, 3, -1};  // begins then ends
  CHECK(OneNode(OpType::kPad, {{1, 2, 4, 4}}, a).shape() == Shape{1, 2, 8, 5});
  a.pads = {0, 1};
  check_invalid(OneNode(OpType::kPad, {{1, 2, 4, 4}}, a));
  a.pads = {0, 0, 0, -5, 0, 0, 0, 0};
  check_invalid(OneNode(OpType::kPad, {{1, 2, 4, 4}}, a));
  a.pad_mode = PadMode::kReflect;
  a.pads = {0, 0, 0, 3, 0, 0, 0, 0};
  CHECK(OneNode(OpType::kPad, {{1, 2, 4, 4}}, a).shape() == Shape{1, 2, 4, 7});
  a.pads = {0, 0, 0, 4, 0, 0, 0, 0};
  check_invalid(OneNode(OpType::kPad, {{1, 2, 4, 4}}, a));
}

TEST_CASE("every op in ops.def has shape inference") {
  for (OpType op : kAllOps) {
    Node n;
    n.name = "probe";
    n.op = op;
    Graph g;
    n.outputs = {test::add_value(g, "y")};
    std::vector<Shape> out;
    Status st = infer_node_shapes(g, n, &out);
    // With no inputs every op must complain about arity, never "unknown op".
    CHECK(st.code() == StatusCode::kInvalidModel);
    CHECK(st.message().find("unknown op") == std::string::npos);
  }
}

TEST_CASE("infer_shapes checks declared shapes, constants and graph wiring") {
  Graph g;
  int x = test::add_input(g, "x", {1, 4});
  int y = test::add_simple_node(g, OpType::kRelu, "r", {x});
  g.tensor(y).shape = {1, 5};
  Status st = infer_shapes(g);
  CHECK(st.code() == StatusCode::kInvalidModel);
  CHECK(st.message().find("'r'") != std::string::npos);
  CHECK(st.message().find("'r_out'") != std::string::npos);

  Graph short_weight;
  x = test::add_input(short_weight, "x", {1, 2, 3, 3});
  int w = short_weight.add_constant("w", {1, 2, 3, 3}, std::vector<float>(5, 0.0f));
  test::add_simple_node(short_weight, OpType::kConv, "c", {x, w});
  st = infer_shapes(short_weight);
  CHECK(st.code() == StatusCode::kInvalidModel);
  CHECK(st.message().find("'w'") != std::string::npos);

  Graph dangling;
  x = test::add_input(dangling, "x", {1, 4});
  test::add_simple_node(dangling, OpType::kAdd, "a", {x, 17});
  st = infer_shapes(dangling);
  CHECK(st.code() == StatusCode::kInvalidModel);
  CHECK(st.message().find("'a'") != std::string::npos);

  Graph chain;
  x = test::add_input(chain, "x", {1, 3, 8, 8});
  int w1 = test::add_random_constant(chain, "w1", {4, 3, 3, 3}, 2);
  int c1 = test::add_simple_node(chain, OpType::kConv, "c1", {x, w1}, conv_attrs({}, {1, 1, 1, 1}));
  int p = test::add_simple_node(chain, OpType::kMaxPool, "p", {c1}, pool_attrs(2, 2, {}, false));
  NodeAttrs f;
  f.axis = 1;
  int fl = test::add_simple_node(chain, OpType::kFlatten, "f", {p}, f);
  int wg = test::add_random_constant(chain, "wg", {64, 10}, 3);
  int out = test::add_simple_node(chain, OpType::kGemm, "g", {fl, wg});
  REQUIRE(infer_shapes(chain).ok());
  CHECK(chain.tensor(c1).shape == Shape{1, 4, 8, 8});
  CHECK(chain.tensor(p).shape == Shape{1, 4, 4, 4});
  CHECK(chain.tensor(out).shape == Shape{1, 10});
}

TEST_CASE("non-float32 inputs are unsupported") {
  Graph g;
  int x = test::add_input(g, "x", {2});
  g.tensor(x).dtype = DType::kInt64;
  test::add_simple_node(g, OpType::kRelu, "r", {x});
  Status st = infer_shapes(g);
  CHECK(st.code() == StatusCode::kUnsupported);
  CHECK(st.message().find("'r'") != std::string::npos);
  CHECK(st.message().find("int64") != std::string::npos);
}
