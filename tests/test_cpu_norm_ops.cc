// The cpu processor's own LayerNorm, Gelu, Softmax, Pow and Sqrt kernels against the
// reference: NHWC channel rows (with pixel strides: slices of a concat), the
// last axis of 3-D tensors, row lengths that leave 16- and 8-lane tails, GELU
// inputs far into both tails; at every x86 level this CPU runs (a level it
// lacks is a skipped test case), on 1 and 2 threads.
#include <doctest/doctest.h>

#include <cmath>

#include "tests/cpu_compare.h"
#include "tests/skip.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

bool cpu_runs(cpu::CpuIsa isa) {
  return cpu::cpu_isa_detected() >= isa;
}

std::string kind_at(const std::string& base, const std::string& isa) {
  return isa == "avx512" ? base : base + (isa == "avx2" ? "_avx2" : "_scalar");
}

// x -> Mul(scale) -> LayerNorm(axes) [-> bias-less when !bias]; scale/bias shapes as given.
Graph layer_norm_graph(Shape shape, std::vector<int64_t> axes, Shape param, bool bias) {
  Graph g;
  int x = test::add_input(g, "x", shape);
  int k = g.add_constant("k", {1}, {3.0f});  // rows with mean and spread away from 0 and 1
  int xs = node(g, OpType::kMul, "spread", {x, k}, shape);
  NodeAttrs a;
  a.axes = std::move(axes);
  a.epsilon = 1e-6f;
  std::vector<int> in = {xs, test::add_random_constant(g, "gamma", param, 3)};
  if (bias) in.push_back(test::add_random_constant(g, "beta", param, 4));
  g.outputs = {node(g, OpType::kLayerNormalization, "ln", in, shape, a)};
  return g;
}

void check_layer_norm(const std::string& isa) {
  struct Case {
    Shape shape;
    std::vector<int64_t> axes;
    Shape param;
  };
  for (Case c : {Case{{1, 96, 7, 5}, {1}, {96, 1, 1}}, Case{{2, 37, 3, 4}, {1}, {37}},
                 Case{{1, 13, 200}, {2}, {200}}, Case{{3, 5, 8}, {1, 2}, {5, 8}}}) {
    for (bool bias : {true, false}) {
      for (const char* threads : {"1", "2"}) {
        CAPTURE(c.shape);
        CAPTURE(bias);
        const std::string spec = std::string("cpu:threads=") + threads + ",isa=" + isa;
        std::vector<std::string> fb, kinds;
        CHECK(compare(layer_norm_graph(c.shape, c.axes, c.param, bias), spec, &fb, nullptr, nullptr,
                      &kinds) <= 1e-5);
        CHECK(fb.empty());
        CHECK(kinds.back() == kind_at("layer_norm", isa));
      }
    }
  }
}

// x -> Mul(scale) -> Gelu: scale 8 pushes inputs to +-8, deep into both tails.
Graph gelu_graph(Shape shape, GeluApproximate mode, float scale) {
  Graph g;
  int x = test::add_input(g, "x", shape);
  int k = g.add_constant("k", {1}, {scale});
  int xs = node(g, OpType::kMul, "spread", {x, k}, shape);
  NodeAttrs a;
  a.gelu_approximate = mode;
  g.outputs = {node(g, OpType::kGelu, "gelu", {xs}, shape, a)};
  return g;
}

void check_gelu(const std::string& isa) {
  for (GeluApproximate mode : {GeluApproximate::kErf, GeluApproximate::kTanh}) {
    for (Shape shape : {Shape{1, 37, 5, 6}, Shape{3, 50}, Shape{2, 13}, Shape{1, 4097}}) {
      for (float scale : {1.0f, 8.0f}) {
        CAPTURE(int(mode));
        CAPTURE(shape);
        CAPTURE(scale);
        std::vector<std::string> fb, kinds;
        const std::string spec = "cpu:threads=2,isa=" + isa;
        CHECK(compare(gelu_graph(shape, mode, scale), spec, &fb, nullptr, nullptr, &kinds) <= 1e-6);
        CHECK(fb.empty());
        CHECK(kinds.back() == kind_at("gelu", isa));
      }
    }
  }
}

// x -> Mul(scale) -> Softmax(axis): scale 40 gives logits 80 apart, whose small terms
// underflow (the max subtraction and exp's clamp at -87 are both exercised).
Graph softmax_graph(Shape shape, int64_t axis, float scale) {
  Graph g;
  int x = test::add_input(g, "x", shape);
  int k = g.add_constant("k", {1}, {scale});
  int xs = node(g, OpType::kMul, "spread", {x, k}, shape);
  NodeAttrs a;
  a.axis = axis;
  g.outputs = {node(g, OpType::kSoftmax, "softmax", {xs}, shape, a)};
  return g;
}

void check_softmax(const std::string& isa) {
  struct Case {
    Shape shape;
    int64_t axis;
  };
  for (Case c : {Case{{1, 37, 5, 6}, 1}, Case{{3, 50}, 1}, Case{{2, 7, 197}, 2}, Case{{1, 4097}, 1},
                 Case{{4, 3}, 1}}) {
    for (float scale : {1.0f, 8.0f, 40.0f}) {
      CAPTURE(c.shape);
      CAPTURE(scale);
      std::vector<std::string> fb, kinds;
      const std::string spec = "cpu:threads=2,isa=" + isa;
      CHECK(compare(softmax_graph(c.shape, c.axis, scale), spec, &fb, nullptr, nullptr, &kinds) <=
            1e-6);
      CHECK(fb.empty());
      CHECK(kinds.back() == (isa == "generic" ? std::string("xnnpack") : kind_at("softmax", isa)));
    }
  }
}

}  // namespace

TEST_CASE("cpu Softmax rows match the reference, isa=avx512" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx512))) {
  check_softmax("avx512");
}
TEST_CASE("cpu Softmax rows match the reference, isa=avx2" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx2))) {
  check_softmax("avx2");
}
// Logits spread over hundreds (random-weight attention): the own rows write 0, never a
// denormal, where the probability is below FLT_MIN (a later x V would run ~100x slower).
TEST_CASE("cpu Softmax rows write no denormals") {
  for (const char* isa : {"avx512", "avx2"}) {
    if (!cpu_runs(std::string(isa) == "avx512" ? cpu::CpuIsa::kAvx512 : cpu::CpuIsa::kAvx2))
      continue;
    CAPTURE(isa);
    const Graph g = softmax_graph({6, 49}, 1, 60.0f);
    auto p = make(std::string("cpu:threads=1,isa=") + isa);
    Tensors in = random_inputs(g, 0, int(g.nodes.size()), 5);
    const Tensors out = run_range(*p, g, 0, int(g.nodes.size()), in);
    int subnormal = 0, zeros = 0;
    for (float v : out[0]) subnormal += std::fpclassify(v) == FP_SUBNORMAL, zeros += v == 0.0f;
    CHECK(subnormal == 0);
    CHECK(zeros > 0);  // the spread does reach below FLT_MIN
    CHECK(compare(g, std::string("cpu:threads=1,isa=") + isa) <= 1e-6);
  }
}

TEST_CASE("cpu Softmax matches the reference, isa=generic (XNNPACK's)") {
  check_softmax("generic");
}

TEST_CASE("cpu LayerNorm rows match the reference, isa=avx512" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx512))) {
  check_layer_norm("avx512");
}
TEST_CASE("cpu LayerNorm rows match the reference, isa=avx2" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx2))) {
  check_layer_norm("avx2");
}
TEST_CASE("cpu LayerNorm rows match the reference, isa=generic") {
  check_layer_norm("generic");
}

TEST_CASE("cpu Gelu rows match the reference, isa=avx512" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx512))) {
  check_gelu("avx512");
}
TEST_CASE("cpu Gelu rows match the reference, isa=avx2" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx2))) {
  check_gelu("avx2");
}
TEST_CASE("cpu Gelu rows match the reference, isa=generic") {
  check_gelu("generic");
}

TEST_CASE("cpu LayerNorm and Gelu read and write slices of concatenations (pixel strides)") {
  Graph g;
  int x = test::add_input(g, "x", {1, 20, 5, 7});
  int y = test::add_input(g, "y", {1, 3, 5, 7});
  int w = test::add_random_constant(g, "w", {20, 20, 1, 1}, 4);
  int a = node(g, OpType::kConv, "conv", {x, w}, {1, 20, 5, 7}, conv_attrs(1, 1, 0));
  NodeAttrs cat;
  cat.axis = 1;
  int c1 = node(g, OpType::kConcat, "cat1", {a, y}, {1, 23, 5, 7}, cat);
  NodeAttrs sl;
  sl.starts = {0};
  sl.ends = {20};
  sl.axes = {1};
  sl.steps = {1};
  int s = node(g, OpType::kSlice, "slice", {c1}, {1, 20, 5, 7}, sl);
  NodeAttrs ln;
  ln.axes = {1};
  int l = node(g, OpType::kLayerNormalization, "ln",
               {s, test::add_random_constant(g, "gamma", {20}, 5)}, {1, 20, 5, 7}, ln);
  int e = node(g, OpType::kGelu, "gelu", {l}, {1, 20, 5, 7});
  g.outputs = {node(g, OpType::kConcat, "cat2", {e, y}, {1, 23, 5, 7}, cat)};
  std::vector<std::string> fb;
  CHECK(compare(g, "cpu:threads=2", &fb) <= 1e-5);
  CHECK(fb.empty());
}

TEST_CASE("cpu Pow by a scalar constant and Sqrt are native; a tensor exponent falls back") {
  for (float e : {2.0f, 0.5f, 1.0f, 3.0f, -1.5f}) {
    CAPTURE(e);
    Graph g;
    int x = test::add_input(g, "x", {1, 6, 4, 5});
    int k = g.add_constant("k", {}, {e});
    // Non-negative bases: a fractional power of a negative one is NaN.
    int sq = node(g, OpType::kMul, "sq", {x, x}, {1, 6, 4, 5});
    g.outputs = {node(g, OpType::kPow, "pow", {sq, k}, {1, 6, 4, 5})};
    std::vector<std::string> fb;
    // The same std::pow (or exact square) on both sides; 0.5 is sqrt, correctly
    // rounded, where powf may be an ulp off.
    const double err = compare(g, "cpu:threads=2", &fb);
    CHECK(err <= (e == 0.5f ? 1e-6 : 0.0));
    CHECK(fb.empty());
  }
  Graph g;
  int x = test::add_input(g, "x", {3, 33});
  int k = test::add_random_constant(g, "k", {33}, 2);
  g.outputs = {node(g, OpType::kPow, "pow", {x, k}, {3, 33})};
  std::vector<std::string> fb;
  compare(g, "cpu:threads=1", &fb);
  CHECK(fb.size() == 1);
  Graph s;
  int sx = test::add_input(s, "x", {1, 12, 5, 7});
  int sq = node(s, OpType::kMul, "sq", {sx, sx}, {1, 12, 5, 7});
  s.outputs = {node(s, OpType::kSqrt, "sqrt", {sq}, {1, 12, 5, 7})};
  CHECK(compare(s, "cpu:threads=2", &fb) == 0.0);
  CHECK(fb.empty());
}

TEST_CASE("cpu GEMM conv -> Gelu runs as one kernel (the GELU on each finished tile row)") {
  for (const char* isa : {"avx512", "avx2"}) {
    const bool runs =
        cpu_runs(std::string(isa) == "avx512" ? cpu::CpuIsa::kAvx512 : cpu::CpuIsa::kAvx2);
    if (!test::skip_unless(runs, std::string("this CPU has no ") + isa)) continue;
    for (GeluApproximate mode : {GeluApproximate::kErf, GeluApproximate::kTanh}) {
      // 40 output channels: one full 32-wide panel and a masked one on AVX-512.
      Graph g;
      int x = test::add_input(g, "x", {1, 24, 7, 9});
      int w = test::add_random_constant(g, "w", {40, 24, 1, 1}, 8);
      int b = test::add_random_constant(g, "b", {40}, 9);
      int y = node(g, OpType::kConv, "fc1", {x, w, b}, {1, 40, 7, 9}, conv_attrs(1, 1, 0));
      NodeAttrs a;
      a.gelu_approximate = mode;
      g.outputs = {node(g, OpType::kGelu, "gelu", {y}, {1, 40, 7, 9}, a)};
      CAPTURE(isa);
      CAPTURE(int(mode));
      std::vector<std::string> kinds;
      const std::string spec = std::string("cpu:threads=2,gemm=own,isa=") + isa;
      CHECK(compare(g, spec, nullptr, nullptr, nullptr, &kinds) <= 1e-5);
      REQUIRE(kinds.size() == 2);
      CHECK(kinds[0] == std::string("gemm_") + isa);
      CHECK(kinds[1] == "fused");
    }
  }
  // A conv whose output is read elsewhere too keeps its own Gelu pass.
  Graph g;
  int x = test::add_input(g, "x", {1, 16, 5, 5});
  int w = test::add_random_constant(g, "w", {32, 16, 1, 1}, 8);
  int y = node(g, OpType::kConv, "fc1", {x, w}, {1, 32, 5, 5}, conv_attrs(1, 1, 0));
  g.outputs = {node(g, OpType::kGelu, "gelu", {y}, {1, 32, 5, 5}), y};
  std::vector<std::string> kinds;
  CHECK(compare(g, "cpu:threads=1,gemm=own", nullptr, nullptr, nullptr, &kinds) <= 1e-5);
  REQUIRE(kinds.size() == 2);
  CHECK(kinds[1] != "fused");
}
