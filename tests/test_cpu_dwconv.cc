// The own depthwise 3x3 and 5x5 kernel (kernels/cpu/ops/dwconv.cc, rows in
// kernels/cpu/x86/dwconv_rows.h) against the reference processor at every x86
// level this CPU runs (isa=avx512, isa=avx2; a level it lacks is a skipped test
// case): strides 1 and 2, symmetric and asymmetric pads, channel counts that
// leave a masked tail (of 16 and of 8 lanes), maps narrower than the kernel,
// concat slices.
#include <doctest/doctest.h>

#include "tests/cpu_compare.h"
#include "tests/skip.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

bool cpu_runs(cpu::CpuIsa isa) {
  return cpu::cpu_isa_detected() >= isa;
}

void check_dwconv(const std::string& isa) {
  FusedActivation relu6{0.0f, 6.0f};
  struct Case {
    int64_t c, h, w, stride;
    std::vector<int64_t> pads;
    int64_t k = 3;
  };
  const std::vector<Case> cases = {
      {16, 9, 9, 1, {1, 1, 1, 1}},
      {32, 12, 11, 2, {1, 1, 1, 1}},
      {20, 7, 13, 1, {1, 1, 1, 1}},
      {35, 8, 8, 2, {0, 0, 1, 1}},
      {16, 5, 6, 1, {0, 0, 0, 0}},
      {48, 2, 2, 1, {1, 1, 1, 1}},
      {17, 1, 1, 1, {1, 1, 1, 1}},
      {16, 6, 7, 2, {1, 0, 1, 2}},
      {64, 3, 9, 2, {2, 2, 2, 2}},
      // Rows long enough for runs of interior quads, and every remainder after them.
      {16, 3, 14, 1, {1, 1, 1, 1}},
      {24, 4, 29, 2, {1, 1, 1, 1}},
      {12, 5, 21, 1, {1, 1, 1, 1}},  // one full 8-lane block and a tail of 4
      {7, 4, 19, 2, {1, 1, 1, 1}},   // a tail only
      {48, 3, 31, 1, {0, 1, 2, 0}},
      {16, 2, 28, 2, {0, 0, 1, 1}},
      {33, 3, 17, 1, {1, 1, 1, 1}},
      // 5x5 (MnasNet, EfficientNet): borders two wide, strides 1 and 2, maps
      // narrower than the kernel.
      {16, 9, 14, 1, {2, 2, 2, 2}, 5},
      {24, 8, 29, 2, {2, 2, 2, 2}, 5},
      {40, 5, 13, 1, {1, 2, 3, 0}, 5},
      {17, 3, 3, 1, {2, 2, 2, 2}, 5},
      {32, 6, 31, 2, {0, 0, 1, 1}, 5},
      {48, 2, 9, 2, {2, 2, 2, 2}, 5},
      // 7x7 (ConvNeXt): borders three wide, 96 channels (6 AVX-512 blocks), maps
      // narrower than the kernel, a tail block, stride 2.
      {96, 8, 11, 1, {3, 3, 3, 3}, 7},
      {20, 7, 29, 1, {3, 3, 3, 3}, 7},
      {16, 4, 5, 1, {3, 3, 3, 3}, 7},
      {24, 9, 17, 2, {3, 3, 3, 3}, 7},
      {8, 10, 10, 1, {0, 1, 2, 3}, 7},
  };
  for (const std::string threads : {"1", "2"}) {
    const std::string spec = "cpu:threads=" + threads + ",gemm=own,isa=" + isa;
    for (const Case& k : cases) {
      CAPTURE(spec);
      CAPTURE(k.c);
      CAPTURE(k.h);
      CAPTURE(k.w);
      CAPTURE(k.stride);
      CAPTURE(k.k);
      NodeAttrs a = conv_attrs(k.k, k.stride, 0, k.c);
      a.pads = k.pads;
      std::vector<std::string> kinds;
      CHECK(compare(conv_graph(k.c, k.h, k.w, k.c, a, true, relu6), spec, nullptr, nullptr, nullptr,
                    &kinds) <= kTolerance);
      REQUIRE(kinds.size() == 1);
      CHECK(kinds[0] == "dwconv_" + isa);
    }
  }
  // Reading and writing concat slices (pixel strides > channels).
  Graph g;
  int x = test::add_input(g, "x", {1, 24, 9, 8});
  int w1 = test::add_random_constant(g, "w1", {16, 24, 1, 1}, 1);
  int y1 = node(g, OpType::kConv, "c1", {x, w1}, {1, 16, 9, 8}, conv_attrs(1, 1, 0));
  NodeAttrs cat;
  cat.axis = 1;
  int y = node(g, OpType::kConcat, "cat", {y1, x}, {1, 40, 9, 8}, cat);
  int wd = test::add_random_constant(g, "wd", {40, 1, 3, 3}, 2);
  int yd = node(g, OpType::kConv, "dw", {y, wd}, {1, 40, 9, 8}, conv_attrs(3, 1, 1, 40));
  g.outputs = {node(g, OpType::kConcat, "cat2", {y, yd}, {1, 80, 9, 8}, cat)};
  int64_t copies = -1;
  std::vector<std::string> kinds;
  CHECK(compare(g, "cpu:threads=2,gemm=own,isa=" + isa, nullptr, &copies, nullptr, &kinds) <=
        kTolerance);
  CHECK(copies <= 1);  // the graph input x is copied into its slice once
  REQUIRE(kinds.size() == 4);
  CHECK(kinds[2] == "dwconv_" + isa);
}

}  // namespace

TEST_CASE("depthwise 3x3, 5x5 and 7x7 on the own kernel, isa=avx512, match the reference" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx512))) {
  check_dwconv("avx512");
}

TEST_CASE("depthwise 3x3, 5x5 and 7x7 on the own kernel, isa=avx2, match the reference" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx2))) {
  check_dwconv("avx2");
}

TEST_CASE("isa=generic keeps depthwise convs on XNNPACK") {
  Graph g = conv_graph(16, 6, 6, 16, conv_attrs(3, 1, 1, 16), true);
  CHECK_FALSE(cpu::dwconv_applicable(g, g.nodes[0], cpu::CpuIsa::kGeneric));
  std::vector<std::string> kinds;
  CHECK(compare(g, "cpu:threads=1,gemm=own,isa=generic", nullptr, nullptr, nullptr, &kinds) <=
        kTolerance);
  REQUIRE(kinds.size() == 1);
  CHECK(kinds[0] == "xnnpack");
}
