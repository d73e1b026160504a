// x * gate(x) -- SiLU (Sigmoid -> Mul) and HardSwish as PyTorch exports it
// (HardSigmoid -> Mul) -- run as one kernel by the cpu processor, against the
// reference: NHWC and 2-D tensors, either operand order, inputs far outside the
// exp polynomial's range, HardSigmoid's alpha/beta, and patterns that must not fuse;
// at every x86 level this CPU runs (isa=avx512, avx2, generic; a level it lacks is
// a skipped test case), row lengths that leave a tail of 16 and of 8 lanes.
#include <doctest/doctest.h>

#include "tests/cpu_compare.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

// x -> [scale] -> gate -> Mul(x, s) (or Mul(s, x)); optionally s is an output too.
Graph gated_graph(Shape shape, float scale, bool swap, bool gate_is_output = false,
                  OpType gate = OpType::kSigmoid, float alpha = 0, float beta = 0) {
  Graph g;
  int x = test::add_input(g, "x", shape);
  if (scale != 1.0f) {
    int c = g.add_constant("c", {1}, {scale});
    x = node(g, OpType::kMul, "scale", {x, c}, shape);
  }
  NodeAttrs ga;
  ga.alpha = alpha;
  ga.beta = beta;
  int s = node(g, gate, "gate", {x}, shape, ga);
  g.outputs = {
      node(g, OpType::kMul, "mul", swap ? std::vector<int>{s, x} : std::vector<int>{x, s}, shape)};
  if (gate_is_output) g.outputs.push_back(s);
  return g;
}

bool cpu_runs(cpu::CpuIsa isa) {
  return cpu::cpu_isa_detected() >= isa;
}

// The kernel kind of x * gate(x) at `isa`.
std::string gated_kind(const std::string& isa, bool hard) {
  const std::string op = hard ? "hardswish" : "silu";
  return isa == "avx512" ? op : op + (isa == "avx2" ? "_avx2" : "_scalar");
}

void check_silu(const std::string& isa) {
  const std::string spec = "cpu:threads=2,isa=" + isa;
  for (Shape shape : {Shape{2, 37, 5, 6}, Shape{3, 50}, Shape{1, 16, 4, 4}, Shape{2, 13}}) {
    for (float scale : {1.0f, 90.0f}) {  // 90: exp(-x) past the clamp at +-87
      for (bool swap : {false, true}) {
        CAPTURE(shape);
        CAPTURE(scale);
        CAPTURE(swap);
        std::vector<std::string> fb, kinds;
        CHECK(compare(gated_graph(shape, scale, swap), spec, &fb, nullptr, nullptr, &kinds) <=
              kTolerance);
        CHECK(fb.empty());
        REQUIRE(kinds.size() >= 2);
        CHECK(kinds[kinds.size() - 2] == "fused");  // the Sigmoid
        CHECK(kinds.back() == gated_kind(isa, false));
      }
    }
  }
}

void check_hardswish(const std::string& isa) {
  const std::string spec = "cpu:threads=2,isa=" + isa;
  // PyTorch's HardSwish export (alpha 1/6, beta 1/2) and another gate.
  for (auto [alpha, beta] : {std::pair<float, float>{1.0f / 6, 0.5f}, {0.2f, 0.4f}}) {
    for (Shape shape : {Shape{2, 37, 5, 6}, Shape{3, 50}, Shape{2, 13}}) {
      for (float scale : {1.0f, 8.0f}) {  // 8: both clamps of the gate
        CAPTURE(alpha);
        CAPTURE(shape);
        CAPTURE(scale);
        std::vector<std::string> fb, kinds;
        CHECK(
            compare(gated_graph(shape, scale, scale > 1, false, OpType::kHardSigmoid, alpha, beta),
                    spec, &fb, nullptr, nullptr, &kinds) <= kTolerance);
        CHECK(fb.empty());
        CHECK(kinds.back() == gated_kind(isa, true));
      }
    }
  }
}

}  // namespace

TEST_CASE("Sigmoid -> Mul(x, sigmoid(x)) runs as one SiLU kernel, isa=avx512" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx512))) {
  check_silu("avx512");
}

TEST_CASE("Sigmoid -> Mul(x, sigmoid(x)) runs as one SiLU kernel, isa=avx2" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx2))) {
  check_silu("avx2");
}

TEST_CASE("Sigmoid -> Mul(x, sigmoid(x)) runs as one SiLU kernel, isa=generic") {
  check_silu("generic");
}

TEST_CASE("HardSigmoid -> Mul(x, hardsigmoid(x)) runs as one HardSwish kernel, isa=avx512" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx512))) {
  check_hardswish("avx512");
}

TEST_CASE("HardSigmoid -> Mul(x, hardsigmoid(x)) runs as one HardSwish kernel, isa=avx2" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx2))) {
  check_hardswish("avx2");
}

TEST_CASE("HardSigmoid -> Mul(x, hardsigmoid(x)) runs as one HardSwish kernel, isa=generic") {
  check_hardswish("generic");
}

TEST_CASE("a gate read elsewhere stays its own node") {
  for (OpType gate : {OpType::kSigmoid, OpType::kHardSigmoid}) {
    std::vector<std::string> kinds;
    CHECK(compare(gated_graph({1, 16, 4, 4}, 1.0f, false, true, gate, 0.2f, 0.5f), "cpu:threads=2",
                  nullptr, nullptr, nullptr, &kinds) <= kTolerance);
    REQUIRE(kinds.size() == 2);
    CHECK(kinds[0] != "fused");
    CHECK(kinds[1].rfind("silu", 0) != 0);
    CHECK(kinds[1].rfind("hardswish", 0) != 0);
  }
}
