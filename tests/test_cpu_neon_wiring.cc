// The own NEON kernels wired into the cpu processor (kernels/cpu/ops/conv2d_neon.cc),
// against the reference processor. Off aarch64, cpu:neon=on runs their scalar
// twins on the same packed operands, so this checks the wiring on every build:
// packing, pixel strides (concat slices), channel and row splits over threads,
// fused clamps. The NEON intrinsics themselves are checked under qemu (neon_qemu).
#include <doctest/doctest.h>

#include "tests/cpu_compare.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

#if defined(__aarch64__)
const char* kGemmKind = "neon_gemm";
const char* kDwKind = "neon_dwconv3x3";
#else
const char* kGemmKind = "neon_gemm_scalar";
const char* kDwKind = "neon_dwconv3x3_scalar";
#endif

Graph dw_graph(int64_t c, int64_t h, int64_t w, int64_t stride, int64_t pad, FusedActivation act) {
  NodeAttrs a = conv_attrs(3, stride, pad, c);
  return conv_graph(c, h, w, c, a, true, act);
}

}  // namespace

TEST_CASE("1x1 convs on the NEON GEMM wiring match the reference") {
  FusedActivation relu6{0.0f, 6.0f};
  for (const char* spec : {"cpu:threads=1,neon=on", "cpu:threads=2,neon=on"}) {
    CAPTURE(spec);
    for (int64_t m : {1, 7, 8, 20}) {
      CAPTURE(m);
      std::vector<std::string> kinds;
      // 300 pixels: three row blocks of 128 (the last partial).
      CHECK(compare(conv_graph(13, 15, 20, m, conv_attrs(1, 1, 0), true, relu6), spec, nullptr,
                    nullptr, nullptr, &kinds) <= kTolerance);
      REQUIRE(kinds.size() == 1);
      CHECK(kinds[0] == kGemmKind);
    }
  }
  // Strided 1x1 and other shapes keep their usual kernels.
  std::vector<std::string> kinds;
  CHECK(compare(conv_graph(8, 6, 6, 8, conv_attrs(1, 2, 0), true), "cpu:neon=on", nullptr, nullptr,
                nullptr, &kinds) <= kTolerance);
  REQUIRE(kinds.size() == 1);
  CHECK(kinds[0] != kGemmKind);
}

TEST_CASE("3x3 depthwise convs on the NEON wiring match the reference") {
  FusedActivation relu{0.0f, kInf};
  for (const char* spec : {"cpu:threads=1,neon=on", "cpu:threads=2,neon=on"}) {
    CAPTURE(spec);
    for (int64_t c : {3, 8, 20, 32}) {
      for (int64_t stride : {1, 2}) {
        CAPTURE(c);
        CAPTURE(stride);
        std::vector<std::string> kinds;
        CHECK(compare(dw_graph(c, 11, 9, stride, 1, relu), spec, nullptr, nullptr, nullptr,
                      &kinds) <= kTolerance);
        REQUIRE(kinds.size() == 1);
        CHECK(kinds[0] == kDwKind);
      }
    }
  }
  // Reading a concat slice and writing into one (pixel strides > channels).
  Graph g;
  int x = test::add_input(g, "x", {1, 16, 7, 7});
  int w0 = test::add_random_constant(g, "w0", {8, 16, 1, 1}, 1);
  int w1 = test::add_random_constant(g, "w1", {8, 16, 1, 1}, 2);
  int y0 = node(g, OpType::kConv, "c0", {x, w0}, {1, 8, 7, 7}, conv_attrs(1, 1, 0));
  int y1 = node(g, OpType::kConv, "c1", {x, w1}, {1, 8, 7, 7}, conv_attrs(1, 1, 0));
  NodeAttrs cat;
  cat.axis = 1;
  int y = node(g, OpType::kConcat, "cat", {y0, y1}, {1, 16, 7, 7}, cat);
  int wd = test::add_random_constant(g, "wd", {16, 1, 3, 3}, 3);
  int yd = node(g, OpType::kConv, "dw", {y, wd}, {1, 16, 7, 7}, conv_attrs(3, 1, 1, 16));
  g.outputs = {node(g, OpType::kConcat, "cat2", {yd, y}, {1, 32, 7, 7}, cat)};
  int64_t copies = -1;
  std::vector<std::string> kinds;
  CHECK(compare(g, "cpu:threads=2,neon=on", nullptr, &copies, nullptr, &kinds) <= kTolerance);
  CHECK(copies == 0);
  REQUIRE(kinds.size() == 5);
  CHECK(kinds[0] == kGemmKind);
  CHECK(kinds[3] == kDwKind);
}

TEST_CASE("neon=off and the default keep XNNPACK or the own x86 kernels off ARM") {
  std::vector<std::string> kinds;
  for (const char* spec : {"cpu:neon=off", "cpu"}) {
    CAPTURE(spec);
    CHECK(compare(dw_graph(64, 9, 9, 1, 1, {}), spec, nullptr, nullptr, nullptr, &kinds) <=
          kTolerance);
    REQUIRE(kinds.size() == 1);
#if !defined(__aarch64__)
    CHECK(kinds[0] == "xnnpack");
#endif
    CHECK(kinds[0] != kDwKind);
  }
  auto bad = parse_processor_spec("cpu:neon=maybe");
  REQUIRE(bad.ok());
  auto spec = parse_cpu_spec(bad.value());
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().message().find("neon must be") != std::string::npos);
}
