// Channel splits on the cpu processor against the reference: YOLOv8's C2f block
// (conv + SiLU, Split in two halves, bottlenecks with residual Adds, Concat of
// all), where the split's input is placed in the concat's buffer so that the
// split is a view and the concat copies nothing; splits that must copy (uneven
// sizes, not feeding a concat, batch 2); a split along H runs on the fallback.
#include <doctest/doctest.h>

#include "tests/cpu_compare.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

// Split of `x` along `axis` into outputs of `shapes`; returns their ids.
std::vector<int> split(Graph& g, int x, int64_t axis, const std::vector<Shape>& shapes) {
  Node n;
  n.name = "split";
  n.op = OpType::kSplit;
  n.inputs = {x};
  n.attrs.axis = axis;
  for (size_t i = 0; i < shapes.size(); ++i) {
    const int t = test::add_value(g, "split_out" + std::to_string(i));
    g.tensor(t).shape = shapes[i];
    n.outputs.push_back(t);
    n.attrs.split.push_back(shapes[i][size_t(axis < 0 ? axis + 4 : axis)]);
  }
  g.add_node(std::move(n));
  return g.nodes.back().outputs;
}

// x * sigmoid(x) after a 1x1 or 3x3 conv of `x` to `m` channels.
int conv_silu(Graph& g, const std::string& name, int x, int64_t c, int64_t m, int64_t k,
              const Shape& out, uint32_t seed) {
  int w = test::add_random_constant(g, name + "_w", {m, c, k, k}, seed);
  int b = test::add_random_constant(g, name + "_b", {m}, seed + 1);
  int y = node(g, OpType::kConv, name, {x, w, b}, out, conv_attrs(k, 1, k / 2));
  int s = node(g, OpType::kSigmoid, name + "_gate", {y}, out);
  return node(g, OpType::kMul, name + "_silu", {y, s}, out);
}

// C2f with one bottleneck: cv1 (c -> 2h), split [h, h], y1 -> 3x3 conv -> SiLU
// (+ y1 when shortcut), concat [y0, y1, bottleneck] -> cv2 (3h -> c).
Graph c2f(int64_t n, int64_t c, int64_t h, int64_t hw, bool shortcut) {
  Graph g;
  const Shape half = {n, h, hw, hw};
  int x = test::add_input(g, "x", {n, c, hw, hw});
  int y = conv_silu(g, "cv1", x, c, 2 * h, 1, {n, 2 * h, hw, hw}, 20);
  std::vector<int> parts = split(g, y, 1, {half, half});
  int m = conv_silu(g, "m", parts[1], h, h, 3, half, 30);
  if (shortcut) m = node(g, OpType::kAdd, "add", {parts[1], m}, half);
  NodeAttrs cat;
  cat.axis = 1;
  int cc = node(g, OpType::kConcat, "cat", {parts[0], parts[1], m}, {n, 3 * h, hw, hw}, cat);
  g.outputs = {conv_silu(g, "cv2", cc, 3 * h, c, 1, {n, c, hw, hw}, 40)};
  return g;
}

}  // namespace

TEST_CASE("a C2f block's split is a view of its concat, which copies nothing") {
  for (bool shortcut : {false, true}) {
    for (const char* spec : {"cpu:threads=1", "cpu:threads=2"}) {
      CAPTURE(shortcut);
      CAPTURE(spec);
      Graph g = c2f(1, 12, 8, 9, shortcut);
      std::vector<std::string> fb, kinds;
      int64_t copies = -1;
      CHECK(compare(g, spec, &fb, &copies, nullptr, &kinds) <= kTolerance);
      CHECK(fb.empty());
      CHECK(count_kind(kinds, "view") == 1);  // the split
      CHECK(copies == 0);                     // every concat input written in place
    }
  }
}

TEST_CASE("channel splits that cannot be views copy their slices") {
  // Uneven sizes, three outputs, batch 2, read from a concat slice (pixel stride
  // 20 > 14 channels), none of them feeding a concat.
  Graph g;
  int x = test::add_input(g, "x", {2, 14, 5, 6});
  int z = test::add_input(g, "z", {2, 6, 5, 6});
  NodeAttrs cat;
  cat.axis = 1;
  int cc = node(g, OpType::kConcat, "cat", {x, z}, {2, 20, 5, 6}, cat);
  std::vector<int> parts = split(g, x, 1, {{2, 3, 5, 6}, {2, 1, 5, 6}, {2, 10, 5, 6}});
  g.outputs = {cc, parts[0], parts[1], parts[2]};
  std::vector<std::string> fb, kinds;
  CHECK(compare(g, "cpu:threads=2", &fb, nullptr, nullptr, &kinds) <= kTolerance);
  CHECK(fb.empty());
  CHECK(count_kind(kinds, "view") == 0);
}

TEST_CASE("a split along H runs on the reference fallback") {
  Graph g;
  int x = test::add_input(g, "x", {1, 4, 6, 5});
  g.outputs = split(g, x, -2, {{1, 4, 2, 5}, {1, 4, 4, 5}});
  std::vector<std::string> fb;
  CHECK(compare(g, "cpu:threads=2", &fb) <= kTolerance);
  CHECK(fb == std::vector<std::string>{"split"});
}
