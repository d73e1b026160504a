// ShuffleNet's and MnasNet's data-movement ops on the cpu processor against the
// reference: the channel shuffle the compiler recognises (Reshape -> Transpose ->
// Reshape), NHWC slices (channel splits and spatial crops, from strided inputs),
// ReduceMean over H, W with and without kept dims, concats of 3-D tensors and
// transposes in any layout.
#include <doctest/doctest.h>

#include "tests/cpu_compare.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

NodeAttrs slice_attrs(std::vector<int64_t> starts, std::vector<int64_t> ends,
                      std::vector<int64_t> axes, std::vector<int64_t> steps = {}) {
  NodeAttrs a;
  a.starts = std::move(starts);
  a.ends = std::move(ends);
  a.axes = std::move(axes);
  a.steps = steps.empty() ? std::vector<int64_t>(a.axes.size(), 1) : std::move(steps);
  return a;
}

// x [1, c, h, w] -> conv 1x1 -> shuffle of `groups` (perm as given) -> conv 1x1.
Graph shuffle_graph(int64_t c, int64_t h, int64_t w, int64_t groups,
                    std::vector<int64_t> perm = {0, 2, 1, 3, 4}) {
  Graph g;
  int x = test::add_input(g, "x", {1, c, h, w});
  int w1 = test::add_random_constant(g, "w1", {c, c, 1, 1}, 3);
  int y = node(g, OpType::kConv, "c1", {x, w1}, {1, c, h, w}, conv_attrs(1, 1, 0));
  NodeAttrs r;
  r.shape = {1, groups, c / groups, h, w};
  int s = node(g, OpType::kReshape, "split", {y}, {1, groups, c / groups, h, w}, r);
  NodeAttrs t;
  t.perm = perm;
  Shape ts = {1, groups, c / groups, h, w};
  for (size_t i = 0; i < 5; ++i) ts[i] = Shape{1, groups, c / groups, h, w}[size_t(perm[i])];
  int tr = node(g, OpType::kTranspose, "transpose", {s}, ts, t);
  NodeAttrs r2;
  r2.shape = {1, c, h, w};
  int m = node(g, OpType::kReshape, "merge", {tr}, {1, c, h, w}, r2);
  int w2 = test::add_random_constant(g, "w2", {c, c, 1, 1}, 4);
  g.outputs = {node(g, OpType::kConv, "c2", {m, w2}, {1, c, h, w}, conv_attrs(1, 1, 0))};
  return g;
}

}  // namespace

TEST_CASE("a channel shuffle runs as one kernel on NHWC data") {
  for (int64_t groups : {2, 3, 4}) {
    CAPTURE(groups);
    std::vector<std::string> fb, kinds;
    CHECK(compare(shuffle_graph(24, 5, 7, groups), "cpu:threads=2", &fb, nullptr, nullptr,
                  &kinds) <= kTolerance);
    CHECK(fb.empty());
    REQUIRE(kinds.size() == 5);
    CHECK(kinds[1] == "fused");  // the first Reshape and the Transpose do nothing
    CHECK(kinds[2] == "fused");
    CHECK(kinds[3] == "xnnpack");  // the shuffle, run by the last Reshape
  }
  // Another permutation is not a shuffle: the Transpose runs on its own kernel.
  std::vector<std::string> fb, kinds;
  CHECK(compare(shuffle_graph(24, 5, 7, 2, {0, 1, 2, 4, 3}), "cpu:threads=2", &fb, nullptr, nullptr,
                &kinds) <= kTolerance);
  CHECK(fb.empty());
  REQUIRE(kinds.size() == 5);
  CHECK(kinds[2] == "own");
}

TEST_CASE("NHWC slices copy runs of channels, also from concat slices") {
  struct Case {
    NodeAttrs a;
    Shape out;
  };
  const Shape in = {2, 20, 9, 8};
  const std::vector<Case> cases = {
      {slice_attrs({0}, {10}, {1}), {2, 10, 9, 8}},          // ShuffleNet's split
      {slice_attrs({10}, {20}, {1}), {2, 10, 9, 8}},         // its other half
      {slice_attrs({1, 3}, {8, 7}, {2, 3}), {2, 20, 7, 4}},  // crop
      {slice_attrs({0, 5, 1}, {9, 17, 8}, {2, 1, 3}, {2, 1, 3}), {2, 12, 5, 3}},  // steps
      {slice_attrs({1, -4}, {2, 1000}, {0, 1}), {1, 4, 9, 8}},  // batch, clamped end
  };
  for (const Case& k : cases) {
    CAPTURE(k.out);
    Graph g;
    int x = test::add_input(g, "x", in);
    int y = test::add_input(g, "y", in);
    NodeAttrs cat;
    cat.axis = 1;
    // The slice reads its input inside a concat (pixel stride 40 > 20 channels).
    int c = node(g, OpType::kConcat, "cat", {x, y}, {2, 40, 9, 8}, cat);
    int s = node(g, OpType::kSlice, "slice", {x}, k.out, k.a);
    g.outputs = {s, c};
    std::vector<std::string> fb;
    CHECK(compare(g, "cpu:threads=2", &fb) <= kTolerance);
    CHECK(fb.empty());
  }
  // A negative step walks backwards: the fallback does that.
  Graph g;
  int x = test::add_input(g, "x", in);
  g.outputs = {node(g, OpType::kSlice, "reverse", {x}, {2, 20, 9, 8},
                    slice_attrs({-1}, {-1000}, {1}, {-1}))};
  std::vector<std::string> fb;
  CHECK(compare(g, "cpu:threads=2", &fb) <= kTolerance);
  CHECK(fb == std::vector<std::string>{"reverse"});
}

TEST_CASE("ReduceMean over H and W is a global average pool, with or without kept dims") {
  for (bool keep : {true, false}) {
    CAPTURE(keep);
    Graph g;
    int x = test::add_input(g, "x", {2, 24, 7, 5});
    NodeAttrs a;
    a.axes = {-1, 2};
    a.keepdims = keep;
    g.outputs = {
        node(g, OpType::kReduceMean, "mean", {x}, keep ? Shape{2, 24, 1, 1} : Shape{2, 24}, a)};
    std::vector<std::string> fb, kinds;
    CHECK(compare(g, "cpu:threads=2", &fb, nullptr, nullptr, &kinds) <= kTolerance);
    CHECK(fb.empty());
  }
}

TEST_CASE("concats of 3-D tensors (YOLOv8's head) run natively along any axis") {
  struct Case {
    int64_t axis;
    std::vector<Shape> in;
    Shape out;
  };
  const std::vector<Case> cases = {
      {-1, {{2, 6, 40}, {2, 6, 10}, {2, 6, 3}}, {2, 6, 53}},  // anchors of three levels
      {1, {{1, 4, 30}, {1, 80, 30}}, {1, 84, 30}},            // boxes, then scores
      {0, {{1, 3, 5}, {2, 3, 5}}, {3, 3, 5}},
  };
  for (const Case& k : cases) {
    CAPTURE(k.axis);
    Graph g;
    std::vector<int> ins;
    for (size_t i = 0; i < k.in.size(); ++i)
      ins.push_back(test::add_input(g, "x" + std::to_string(i), k.in[i]));
    NodeAttrs a;
    a.axis = k.axis;
    g.outputs = {node(g, OpType::kConcat, "cat", ins, k.out, a)};
    std::vector<std::string> fb;
    CHECK(compare(g, "cpu:threads=2", &fb) <= kTolerance);
    CHECK(fb.empty());
  }
}

TEST_CASE("transposes run natively from and to NHWC and logical layouts") {
  struct Case {
    Shape in;
    std::vector<int64_t> perm;
  };
  const std::vector<Case> cases = {
      {{1, 4, 16, 30}, {0, 2, 1, 3}},  // YOLOv8's DFL: NHWC in and out
      {{2, 3, 5, 7}, {0, 2, 3, 1}},    // NCHW -> NHWC order
      {{2, 6, 9}, {0, 2, 1}},          // logical
      {{7, 3, 9}, {1, 0, 2}},          // ViT's head split: rows copied whole
      {{5, 2, 3000}, {1, 0, 2}},       // rows longer than one task's share
      {{2, 3, 4, 5, 6}, {4, 0, 3, 1, 2}},
      {{3, 8}, {}},  // empty perm: dims reversed
  };
  for (const Case& k : cases) {
    CAPTURE(k.in);
    Graph g;
    int x = test::add_input(g, "x", k.in);
    // A 4-D input inside a concat is read through its pixel stride (2 C).
    std::vector<int> outputs;
    if (k.in.size() == 4) {
      NodeAttrs cat;
      cat.axis = 1;
      Shape twice = k.in;
      twice[1] *= 2;
      int y = test::add_input(g, "y", k.in);
      outputs.push_back(node(g, OpType::kConcat, "cat", {x, y}, twice, cat));
    }
    Shape out;
    std::vector<int64_t> perm = k.perm;
    if (perm.empty())
      for (size_t i = k.in.size(); i-- > 0;) perm.push_back(int64_t(i));
    for (int64_t p : perm) out.push_back(k.in[size_t(p)]);
    NodeAttrs a;
    a.perm = k.perm;
    outputs.push_back(node(g, OpType::kTranspose, "transpose", {x}, out, a));
    g.outputs = outputs;
    std::vector<std::string> fb;
    CHECK(compare(g, "cpu:threads=2", &fb) <= kTolerance);
    CHECK(fb.empty());
  }
}
