// SiLU (Sigmoid -> Mul(x, sigmoid(x))) run as one kernel by the cpu processor,
// against the reference: NHWC and 2-D tensors, either operand order, inputs far
// outside the polynomial's range, and the patterns that must not fuse.
#include <doctest/doctest.h>

#include "tests/cpu_compare.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

// x -> [scale] -> Sigmoid -> Mul(x, s) (or Mul(s, x)); optionally s is an output too.
Graph silu_graph(Shape shape, float scale, bool swap, bool sigmoid_is_output = false) {
  Graph g;
  int x = test::add_input(g, "x", shape);
  if (scale != 1.0f) {
    int c = g.add_constant("c", {1}, {scale});
    x = node(g, OpType::kMul, "scale", {x, c}, shape);
  }
  int s = node(g, OpType::kSigmoid, "sigmoid", {x}, shape);
  g.outputs = {
      node(g, OpType::kMul, "mul", swap ? std::vector<int>{s, x} : std::vector<int>{x, s}, shape)};
  if (sigmoid_is_output) g.outputs.push_back(s);
  return g;
}

}  // namespace

TEST_CASE("Sigmoid -> Mul(x, sigmoid(x)) runs as one SiLU kernel") {
  for (Shape shape : {Shape{2, 37, 5, 6}, Shape{3, 50}, Shape{1, 16, 4, 4}}) {
    for (float scale : {1.0f, 90.0f}) {  // 90: exp(-x) past the clamp at +-87
      for (bool swap : {false, true}) {
        CAPTURE(shape);
        CAPTURE(scale);
        CAPTURE(swap);
        std::vector<std::string> fb, kinds;
        CHECK(compare(silu_graph(shape, scale, swap), "cpu:threads=2", &fb, nullptr, nullptr,
                      &kinds) <= kTolerance);
        CHECK(fb.empty());
        REQUIRE(kinds.size() >= 2);
        CHECK(kinds[kinds.size() - 2] == "fused");  // the Sigmoid
        CHECK(kinds.back() == "silu");
      }
    }
  }
}

TEST_CASE("a Sigmoid read elsewhere stays its own node") {
  std::vector<std::string> kinds;
  CHECK(compare(silu_graph({1, 16, 4, 4}, 1.0f, false, true), "cpu:threads=2", nullptr, nullptr,
                nullptr, &kinds) <= kTolerance);
  REQUIRE(kinds.size() == 2);
  CHECK(kinds[0] == "xnnpack");
  CHECK(kinds[1] != "silu");
}
