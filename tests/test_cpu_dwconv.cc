// The own AVX-512 depthwise 3x3 and 5x5 kernel (kernels/cpu/dwconv_avx512.cc) against
// the reference processor: strides 1 and 2, symmetric and asymmetric pads, channel
// counts that leave a masked tail, maps narrower than the kernel, concat slices.
#include <doctest/doctest.h>

#include "kernels/cpu/x86/gemm_avx512.h"
#include "tests/cpu_compare.h"
#include "tests/skip.h"

using namespace tandem;
using namespace tandem::cpu_test;

TEST_CASE("depthwise 3x3 on the own AVX-512 kernel matches the reference") {
  if (!test::skip_unless(
          cpu::gemm_avx512_available(),
          "no AVX-512F: the own depthwise kernel is not run (convs stay on XNNPACK)")) {
    Graph g = conv_graph(16, 6, 6, 16, conv_attrs(3, 1, 1, 16), true);
    CHECK_FALSE(cpu::dwconv_avx512_applicable(g, g.nodes[0]));
    return;
  }
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
  };
  for (const char* spec : {"cpu:threads=1,gemm=own", "cpu:threads=2,gemm=own"}) {
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
      CHECK(kinds[0] == "dwconv_avx512");
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
  CHECK(compare(g, "cpu:threads=2,gemm=own", nullptr, &copies) <= kTolerance);
  CHECK(copies <= 1);  // the graph input x is copied into its slice once
}
