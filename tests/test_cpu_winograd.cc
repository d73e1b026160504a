// Winograd F(4,3) for 3x3 stride-1 convs (kernels/cpu/ops/winograd_f43.cc) against
// the reference processor at every x86 level this CPU runs (isa=avx512, avx2,
// generic; a level it lacks is a skipped test case): its transforms compiled for
// the level, its 36 products on the level's own GEMM or on XNNPACK's fully
// connected operator (gemm=xnnpack); channel counts that leave a tail of 16 and
// of 8 lanes, unpadded and asymmetric pads, a concat slice as output.
#include <doctest/doctest.h>

#include "tests/cpu_compare.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

bool cpu_runs(cpu::CpuIsa isa) {
  return cpu::cpu_isa_detected() >= isa;
}

void check_winograd(const std::string& isa, const std::string& own_kind) {
  const std::string on = ",winograd=on,isa=" + isa;
  FusedActivation relu{0.0f, kInf};
  struct Shape4 {
    int64_t c, h, w, m, pad;
  };
  for (Shape4 s : {Shape4{16, 8, 8, 16, 1}, Shape4{20, 13, 11, 37, 1}, Shape4{64, 14, 14, 32, 1},
                   Shape4{3, 9, 10, 5, 0}, Shape4{33, 6, 7, 17, 0}, Shape4{12, 5, 9, 20, 1}}) {
    CAPTURE(s.c);
    CAPTURE(s.h);
    CAPTURE(s.m);
    Graph g = conv_graph(s.c, s.h, s.w, s.m, conv_attrs(3, 1, s.pad), true, relu);
    std::vector<std::string> fb = {"unset"}, kinds;
    CHECK(compare(g, "cpu:threads=2" + on, &fb, nullptr, nullptr, &kinds) <= kTolerance);
    CHECK(fb.empty());
    REQUIRE(kinds.size() == 1);
    CHECK(kinds[0] == own_kind);
    CHECK(compare(g, "cpu:threads=1" + on) <= kTolerance);
    // Its 36 GEMMs on XNNPACK's fully connected operator instead of the own kernel.
    CHECK(compare(g, "cpu:threads=1,gemm=xnnpack" + on, nullptr, nullptr, nullptr, &kinds) <=
          kTolerance);
    CHECK(kinds[0] == "winograd_f43+xnnpack");
  }
  // Writing into a concat slice (pixel stride > channels) and asymmetric pads.
  Graph g;
  int x = test::add_input(g, "x", {1, 24, 10, 9});
  int w1 = test::add_random_constant(g, "w1", {8, 24, 3, 3}, 1);
  int w2 = test::add_random_constant(g, "w2", {16, 24, 3, 3}, 2);
  NodeAttrs a = conv_attrs(3, 1, 1);
  int y1 = node(g, OpType::kConv, "c1", {x, w1}, {1, 8, 10, 9}, a);
  a.pads = {2, 0, 0, 2};
  int y2 = node(g, OpType::kConv, "c2", {x, w2}, {1, 16, 10, 9}, a);
  NodeAttrs cat;
  cat.axis = 1;
  g.outputs = {node(g, OpType::kConcat, "cat", {y1, y2}, {1, 24, 10, 9}, cat)};
  int64_t copies = -1;
  CHECK(compare(g, "cpu:threads=2" + on, nullptr, &copies) <= kTolerance);
  CHECK(copies == 0);
}

}  // namespace

TEST_CASE("Winograd F(4,3) convs, isa=avx512, match the reference" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx512))) {
  check_winograd("avx512", "winograd_f43");
}

TEST_CASE("Winograd F(4,3) convs, isa=avx2, match the reference" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx2))) {
  check_winograd("avx2", "winograd_f43+gemm_avx2");
}

TEST_CASE("Winograd F(4,3) convs, isa=generic, match the reference") {
  check_winograd("generic", "winograd_f43+xnnpack");
}
