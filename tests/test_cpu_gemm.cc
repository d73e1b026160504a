// The own GEMM (kernels/cpu/x86/gemm.h), on every ISA level this machine runs
// (AVX-512 and AVX2; a level it lacks is reported as skipped), against a
// double-precision product, and convolutions on it (cpu spec gemm=own,isa=...)
// against the reference processor: 1x1 in place, strided/padded/dilated/7x7 through im2col, tails
// of M, N and K, K blocking, fused clamps, and writing into a concat slice.
#include <doctest/doctest.h>

#include <cmath>

#include "kernels/cpu/x86/gemm.h"
#include "tests/cpu_compare.h"
#include "tests/skip.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

// The levels with an own GEMM that this CPU runs, best first. Each level it lacks
// is reported in the test output (never a silent pass).
std::vector<cpu::CpuIsa> gemm_levels() {
  std::vector<cpu::CpuIsa> levels;
  for (cpu::CpuIsa isa : {cpu::CpuIsa::kAvx512, cpu::CpuIsa::kAvx2}) {
    if (test::skip_unless(cpu::gemm_isa_supported(isa), std::string("this CPU does not run ") +
                                                            cpu::cpu_isa_name(isa) +
                                                            ", so its own GEMM is not tested here"))
      levels.push_back(isa);
  }
  return levels;
}

// " ,isa=avx2" etc.: the spec suffix that forces `isa`.
std::string isa_option(cpu::CpuIsa isa) {
  return std::string(",isa=") + cpu::cpu_isa_name(isa);
}

// The kernel kind of a GEMM conv at `isa` ("gemm_avx512", "gemm_avx2_nchw").
std::string gemm_kind(cpu::CpuIsa isa, bool nchw = false) {
  return std::string("gemm_") + cpu::cpu_isa_name(isa) + (nchw ? "_nchw" : "");
}

// Worst |got - want| / max|A B + bias| of C = clamp(A B + bias) over a strided A and C.
double gemm_error(cpu::CpuIsa isa, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldc,
                  float lo, float hi, int threads) {
  std::vector<float> a = test::random_floats(size_t(m * lda), 1);
  std::vector<float> b = test::random_floats(size_t(k * n), 2);
  std::vector<float> bias = test::random_floats(size_t(n), 3);
  auto packed = cpu::pack_gemm_b(isa, k, n, bias.data(),
                                 [&](int64_t kk, int64_t j) { return b[size_t(kk * n + j)]; });
  const float sentinel = -12345.0f;
  std::vector<float> c(size_t(m * ldc), sentinel);
  cpu::GemmCall call;
  call.m = m;
  call.a = a.data();
  call.lda = lda;
  call.c = c.data();
  call.ldc = ldc;
  call.lo = lo;
  call.hi = hi;
  pthreadpool_t pool = threads > 1 ? pthreadpool_create(size_t(threads)) : nullptr;
  cpu::gemm_f32(packed, call, pool, 0);
  if (pool) pthreadpool_destroy(pool);
  double worst = 0, scale = 1e-30;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      float got = c[size_t(i * ldc + j)];
      if (j >= n) {  // columns past N belong to someone else: untouched
        if (got != sentinel) return 1e9;
        continue;
      }
      double want = bias[size_t(j)];
      for (int64_t p = 0; p < k; ++p)
        want += double(a[size_t(i * lda + p)]) * double(b[size_t(p * n + j)]);
      scale = std::max(scale, std::fabs(want));  // before the clamp: float rounding's scale
      want = std::min(std::max(want, double(lo)), double(hi));
      worst = std::max(worst, std::fabs(double(got) - want));
    }
  return worst / scale;
}

}  // namespace

TEST_CASE("the own GEMM matches a double-precision product on every tail, at every ISA level") {
  if (!cpu::gemm_isa_supported(cpu::CpuIsa::kAvx2)) {
    // Without AVX2 the convolution must never pick it.
    Graph g = conv_graph(64, 8, 8, 64, conv_attrs(1, 1, 0), true);
    CHECK_FALSE(cpu::gemm_conv_applicable(g, g.nodes[0], cpu::cpu_isa_detected()));
  }
  const float inf = std::numeric_limits<float>::infinity();
  for (cpu::CpuIsa isa : gemm_levels()) {
    const std::string isa_name = cpu::cpu_isa_name(isa);
    CAPTURE(isa_name);
    // Tails of both tile heights (12 and 6 rows, 24 and 12 in the one-vector kernel)
    // and panel widths (32 and 16 columns, one-vector panels of <= 16 and <= 8).
    for (int64_t m : {1, 5, 6, 7, 12, 13, 49, 145, 300})
      for (int64_t n : {1, 8, 9, 16, 17, 24, 32, 33, 100})
        for (int64_t k : {1, 7, 256, 300}) {
          CAPTURE(m);
          CAPTURE(n);
          CAPTURE(k);
          CHECK(gemm_error(isa, m, n, k, k, n, -inf, inf, 1) <= 1e-5);
        }
    // Strided A and C (a pixel stride, a concat slice), clamps, threads.
    CHECK(gemm_error(isa, 50, 40, 70, 90, 64, 0.0f, inf, 2) <= 1e-5);
    CHECK(gemm_error(isa, 300, 70, 600, 600, 70, -0.5f, 0.5f, 2) <= 1e-5);
    CHECK(gemm_error(isa, 3, 130, 1030, 1031, 131, 0.0f, 6.0f, 2) <= 1e-5);
  }
}

namespace {

// Conv shapes of each gemm path against the reference, at one ISA level.
void check_conv_shapes(cpu::CpuIsa isa) {
  const std::string opt = isa_option(isa);
  FusedActivation relu{0.0f, kInf}, relu6{0.0f, 6.0f};
  for (std::string spec : {"cpu:threads=1,gemm=own,winograd=off", "cpu:threads=2,gemm=own"}) {
    spec += opt;
    CAPTURE(spec);
    // 1x1 stride 1, read in place.
    CHECK(compare(conv_graph(64, 9, 7, 96, conv_attrs(1, 1, 0), true, relu), spec) <= kTolerance);
    CHECK(compare(conv_graph(300, 3, 5, 33, conv_attrs(1, 1, 0), false), spec) <= kTolerance);
    // 1x1 stride 2 (a ResNet downsample) and padded 1x1.
    CHECK(compare(conv_graph(32, 9, 9, 40, conv_attrs(1, 2, 0), true), spec) <= kTolerance);
    CHECK(compare(conv_graph(8, 5, 5, 8, conv_attrs(1, 1, 1), true), spec) <= kTolerance);
    // 3x3 padded, strided; 7x7 stride 2 on 3 channels (a stem).
    CHECK(compare(conv_graph(20, 11, 13, 37, conv_attrs(3, 1, 1), true, relu6), spec) <=
          kTolerance);
    CHECK(compare(conv_graph(48, 14, 14, 64, conv_attrs(3, 2, 1), true, relu), spec) <= kTolerance);
    CHECK(compare(conv_graph(3, 32, 30, 16, conv_attrs(7, 2, 3), true, relu), spec) <= kTolerance);
    // Dilation 2 and rectangular kernels with asymmetric pads.
    NodeAttrs d = conv_attrs(3, 1, 2);
    d.dilations = {2, 2};
    CHECK(compare(conv_graph(16, 10, 10, 24, d, true), spec) <= kTolerance);
    // Enough output pixels (1296) that im2col gathers block by block into a workspace
    // slot per thread (FCN's dilated layers), with a clamp.
    CHECK(compare(conv_graph(24, 36, 36, 40, d, true, relu6), spec) <= kTolerance);
    NodeAttrs r = conv_attrs(3, 1, 0);
    r.kernel_shape = {1, 3};
    r.pads = {0, 2, 0, 1};
    Graph rg;
    int rx = test::add_input(rg, "x", {1, 16, 6, 8});
    int wt = test::add_random_constant(rg, "w", {16, 16, 1, 3}, 5);
    rg.outputs = {node(rg, OpType::kConv, "conv", {rx, wt}, {1, 16, 6, 9}, r)};
    CHECK(compare(rg, spec) <= kTolerance);
  }
}

// Batch 2 on each path: in place (1x1), im2col (3x3), padded input + offsets (few channels,
// dilated, strided).
void check_batch2(cpu::CpuIsa isa) {
  const std::string opt = isa_option(isa);
  for (int64_t c : {int64_t(64), int64_t(130), int64_t(5)}) {
    CAPTURE(c);
    for (int64_t k : {int64_t(1), int64_t(3)}) {
      Graph bg;
      int bx = test::add_input(bg, "x", {2, c, 9, 8});
      int bw = test::add_random_constant(bg, "w", {70, c, k, k}, 6);
      NodeAttrs ba = conv_attrs(k, 2, 1);
      ba.dilations = {2, 1};
      ba.pads = {2, 0, 1, 1};
      int64_t oh = (9 + 3 - 2 * (k - 1) - 1) / 2 + 1, ow = (8 + 1 - (k - 1) - 1) / 2 + 1;
      if (k == 1) ba = conv_attrs(1, 1, 0), oh = 9, ow = 8;
      bg.outputs = {node(bg, OpType::kConv, "conv", {bx, bw}, {2, 70, oh, ow}, ba)};
      CHECK(compare(bg, "cpu:threads=2,gemm=own" + opt) <= kTolerance);
    }
  }
}

// A stem whose input is also read by another node, or produced inside the range,
// pads an NHWC copy; one whose input only it reads pads the caller's NCHW input.
void check_stem_input(cpu::CpuIsa isa) {
  const std::string opt = isa_option(isa);
  {
    Graph sg;
    int x = test::add_input(sg, "x", {2, 5, 17, 15});
    int w = test::add_random_constant(sg, "w", {24, 5, 3, 3}, 8);
    int y = node(sg, OpType::kConv, "stem", {x, w}, {2, 24, 9, 8}, conv_attrs(3, 2, 1));
    int r = node(sg, OpType::kRelu, "relu", {x}, {2, 5, 17, 15});
    int w2 = test::add_random_constant(sg, "w2", {24, 5, 3, 3}, 9);
    int y2 = node(sg, OpType::kConv, "stem2", {r, w2}, {2, 24, 9, 8}, conv_attrs(3, 2, 1));
    sg.outputs = {y, y2};
    std::vector<std::string> kinds;
    const std::string spec = "cpu:threads=2,gemm=own" + opt;
    CHECK(compare(sg, spec, nullptr, nullptr, nullptr, &kinds) <= kTolerance);
    REQUIRE(kinds.size() == 3);
    CHECK(kinds[0] == gemm_kind(isa));  // x is also read by the Relu
    CHECK(kinds[2] == gemm_kind(isa));  // its input comes from inside the range
    sg.nodes.erase(sg.nodes.begin() + 1, sg.nodes.end());
    sg.outputs = {y};
    CHECK(compare(sg, spec, nullptr, nullptr, nullptr, &kinds) <= kTolerance);
    REQUIRE(kinds.size() == 1);
    CHECK(kinds[0] == gemm_kind(isa, true));
  }
}

// Two 1x1 convs writing their channel slices of one concat (pixel stride > channels),
// reading an input that is itself a concat slice.
void check_concat_slices(cpu::CpuIsa isa) {
  const std::string opt = isa_option(isa);
  Graph g;
  int x = test::add_input(g, "x", {1, 40, 6, 5});
  int w1 = test::add_random_constant(g, "w1", {24, 40, 1, 1}, 1);
  int w2 = test::add_random_constant(g, "w2", {40, 40, 1, 1}, 2);
  int y1 = node(g, OpType::kConv, "c1", {x, w1}, {1, 24, 6, 5}, conv_attrs(1, 1, 0));
  int y2 = node(g, OpType::kConv, "c2", {x, w2}, {1, 40, 6, 5}, conv_attrs(1, 1, 0));
  NodeAttrs cat;
  cat.axis = 1;
  int y = node(g, OpType::kConcat, "cat", {y1, y2}, {1, 64, 6, 5}, cat);
  int w3 = test::add_random_constant(g, "w3", {32, 64, 1, 1}, 3);
  int y3 = node(g, OpType::kConv, "c3", {y, w3}, {1, 32, 6, 5}, conv_attrs(1, 1, 0));
  g.outputs = {node(g, OpType::kConcat, "cat2", {y3, y}, {1, 96, 6, 5}, cat)};
  int64_t copies = -1;
  CHECK(compare(g, "cpu:threads=2,gemm=own" + opt, nullptr, &copies) <= kTolerance);
  CHECK(copies == 0);
}

// The conv checks of one ISA level.
void check_gemm_convs(cpu::CpuIsa isa) {
  check_conv_shapes(isa);
  check_batch2(isa);
  check_stem_input(isa);
  check_concat_slices(isa);
}

}  // namespace

TEST_CASE("convolutions on the own GEMM match the reference, at every ISA level") {
  if (!cpu::gemm_isa_supported(cpu::CpuIsa::kAvx2)) {
    test::skip_unless(false, "this CPU has no AVX2+FMA: gemm=own falls back to XNNPACK");
    CHECK(compare(conv_graph(16, 6, 6, 16, conv_attrs(1, 1, 0), true), "cpu:gemm=own") <=
          kTolerance);
  }
  for (cpu::CpuIsa isa : gemm_levels()) {
    const std::string isa_name = cpu::cpu_isa_name(isa);
    CAPTURE(isa_name);
    check_gemm_convs(isa);
  }
  // The spec round-trips and rejects unknown values.
  auto ps = parse_processor_spec("cpu:threads=1,gemm=xnnpack");
  REQUIRE(ps.ok());
  auto spec = parse_cpu_spec(ps.value());
  REQUIRE(spec.ok());
  CHECK(cpu_spec_text(spec.value()) == "cpu:threads=1,gemm=xnnpack");
  auto bad = parse_processor_spec("cpu:gemm=fast");
  REQUIRE(bad.ok());
  auto bad_spec = parse_cpu_spec(bad.value());
  REQUIRE_FALSE(bad_spec.ok());
  CHECK(bad_spec.status().message().find("gemm must be") != std::string::npos);
}

TEST_CASE("a residual Add after a GEMM conv runs in the conv's epilogue and matches") {
  FusedActivation relu{0.0f, kInf};
  // x -> c1 (1x1) -> c2 (3x3 s2) -> c3 (1x1); x -> ds (1x1 s2); relu(c3 + ds) -> c4 (1x1);
  // relu(c4 + that sum): the first Add fuses into ds (its later producer), the second
  // into c4 with the first sum as residual.
  Graph g;
  int x = test::add_input(g, "x", {1, 64, 10, 10});
  auto conv = [&](const char* name, int in, int64_t c, int64_t m, int64_t k, int64_t s, int64_t hw,
                  uint32_t seed) {
    int w = test::add_random_constant(g, std::string(name) + ".w", {m, c, k, k}, seed);
    int b = test::add_random_constant(g, std::string(name) + ".b", {m}, seed + 100);
    return node(g, OpType::kConv, name, {in, w, b}, {1, m, hw, hw}, conv_attrs(k, s, k / 2));
  };
  int c1 = conv("c1", x, 64, 32, 1, 1, 10, 1);
  int c2 = conv("c2", c1, 32, 32, 3, 2, 5, 2);
  // 80 channels: on AVX-512 two full 32-column panels and a half one (its own
  // micro-kernel); on AVX2 five 16-column panels.
  int c3 = conv("c3", c2, 32, 80, 1, 1, 5, 3);
  int ds = conv("ds", x, 64, 80, 1, 2, 5, 4);
  NodeAttrs add;
  add.activation = relu;
  int s1 = node(g, OpType::kAdd, "add1", {c3, ds}, {1, 80, 5, 5}, add);
  int c4 = conv("c4", s1, 80, 80, 1, 1, 5, 5);
  int s2 = node(g, OpType::kAdd, "add2", {s1, c4}, {1, 80, 5, 5}, add);
  g.outputs = {s2};
  if (!cpu::gemm_isa_supported(cpu::CpuIsa::kAvx2)) {
    int64_t fused = -1;
    CHECK(compare(g, "cpu:threads=2", nullptr, nullptr, &fused) <= kTolerance);
    CHECK(fused == 0);
    test::skip_unless(false, "this CPU has no AVX2+FMA, so no own GEMM to fuse into");
    return;
  }
  for (cpu::CpuIsa isa : gemm_levels())
    for (std::string spec : {"cpu:threads=1,gemm=own", "cpu:threads=2,gemm=own"}) {
      spec += isa_option(isa);
      CAPTURE(spec);
      int64_t fused = -1;
      CHECK(compare(g, spec, nullptr, nullptr, &fused) <= kTolerance);
      CHECK(fused == 2);
    }
  // On XNNPACK's convolution nothing fuses and the Adds run as nodes.
  int64_t fused = -1;
  CHECK(compare(g, "cpu:threads=1,gemm=xnnpack", nullptr, nullptr, &fused) <= kTolerance);
  CHECK(fused == 0);
  CHECK(compare(g, "cpu:threads=1,gemm=own,residual=separate", nullptr, nullptr, &fused) <=
        kTolerance);
  CHECK(fused == 0);
  // A conv output that is also a graph output keeps its own Add.
  g.outputs = {s2, ds};
  CHECK(compare(g, "cpu:threads=1,gemm=own", nullptr, nullptr, &fused) <= kTolerance);
  CHECK(fused == 1);
}

TEST_CASE("the default cpu spec picks the kernel the measurements favour, per ISA level") {
  std::vector<std::string> kinds;
  std::string spec = "cpu:threads=1";
  auto kind = [&](const Graph& g) {
    CHECK(compare(g, spec, nullptr, nullptr, nullptr, &kinds) <= kTolerance);
    REQUIRE(kinds.size() == 1);
    return kinds[0];
  };
  const cpu::CpuIsa detected = cpu::cpu_isa_detected();
  // The level the default spec runs at (the best this CPU has), then AVX2 forced.
  std::vector<cpu::CpuIsa> levels = {detected};
  if (detected > cpu::CpuIsa::kAvx2) levels.push_back(cpu::CpuIsa::kAvx2);
  for (cpu::CpuIsa isa : levels) {
    spec = "cpu:threads=1" + (isa == detected ? std::string() : isa_option(isa));
    CAPTURE(spec);
    const bool own = cpu::gemm_isa_supported(isa);
    const std::string winograd = isa == cpu::CpuIsa::kAvx512 ? "winograd_f43"
                                 : own                       ? "winograd_f43+gemm_avx2"
                                                             : "winograd_f43+xnnpack";
    // 1x1 with 64 channels: the own GEMM; 3x3 at 28x28: Winograd; 3 input channels,
    // 1x1: XNNPACK.
    CHECK(kind(conv_graph(64, 14, 14, 64, conv_attrs(1, 1, 0), true)) ==
          (own ? gemm_kind(isa) : "xnnpack"));
    CHECK(kind(conv_graph(64, 28, 28, 64, conv_attrs(3, 1, 1), true)) == winograd);
    CHECK(kind(conv_graph(3, 14, 14, 8, conv_attrs(1, 1, 0), true)) == "xnnpack");
    // 3x3 at 13x13 (16 tiles): Winograd on one thread (with the 36 products on
    // XNNPACK only from 14x14); on two its three parallel regions cost more than it
    // saves, so XNNPACK's direct conv.
    const Graph small3x3 = conv_graph(64, 13, 13, 128, conv_attrs(3, 1, 1), true);
    CHECK(kind(small3x3) == (own ? winograd : "xnnpack"));
    CHECK(compare(small3x3, "cpu:threads=2" + isa_option(isa), nullptr, nullptr, nullptr, &kinds) <=
          kTolerance);
    // (On AVX2 the own GEMM wins on every dense conv measured, 64 channels at 13x13
    // included.)
    CHECK(kinds[0] == (own && isa == cpu::CpuIsa::kAvx2 ? gemm_kind(isa) : "xnnpack"));
    // Stems (3 channels, 7x7 stride 2): the padded-input GEMM, reading the range input
    // as NCHW (no entry transpose).
    CHECK(kind(conv_graph(3, 32, 32, 64, conv_attrs(7, 2, 3), true)) ==
          (own ? gemm_kind(isa, true) : "xnnpack"));
  }
  // Depthwise convs (dwconv_profitable), at each level: 3x3 on <= 32 channels and
  // 5x5 (XNNPACK 2022's is slow) on the own kernel, 3x3 on 64 channels at 14x14 on
  // XNNPACK; at 28x28 the own kernel on AVX2 only.
  for (cpu::CpuIsa isa : levels) {
    spec = "cpu:threads=1" + (isa == detected ? std::string() : isa_option(isa));
    CAPTURE(spec);
    const std::string dw =
        isa >= cpu::CpuIsa::kAvx2 ? std::string("dwconv_") + cpu::cpu_isa_name(isa) : "xnnpack";
    CHECK(kind(conv_graph(64, 14, 14, 64, conv_attrs(3, 1, 1, 64), true)) == "xnnpack");
    CHECK(kind(conv_graph(32, 14, 14, 32, conv_attrs(3, 1, 1, 32), true)) == dw);
    CHECK(kind(conv_graph(64, 14, 14, 64, conv_attrs(5, 1, 2, 64), true)) == dw);
    CHECK(kind(conv_graph(64, 28, 28, 64, conv_attrs(3, 1, 1, 64), true)) ==
          (isa == cpu::CpuIsa::kAvx2 ? dw : "xnnpack"));
  }
}

TEST_CASE("a small network at isa=avx2 matches the reference on the AVX2 GEMM") {
  if (!cpu::gemm_isa_supported(cpu::CpuIsa::kAvx2)) {
    test::skip_unless(false, "this CPU has no AVX2+FMA");
    auto isa = cpu::parse_cpu_isa("avx2");
    REQUIRE_FALSE(isa.ok());
    CHECK(isa.status().message().find("not available") != std::string::npos);
    return;
  }
  // stem 3x3 s2 -> 1x1 -> 3x3 (Winograd) -> 1x1 + residual -> pool -> Gemm.
  Graph g;
  FusedActivation relu{0.0f, kInf};
  int x = test::add_input(g, "x", {1, 3, 30, 30});
  auto conv = [&](const char* name, int in, int64_t c, int64_t m, int64_t k, int64_t s, int64_t hw,
                  uint32_t seed) {
    int w = test::add_random_constant(g, std::string(name) + ".w", {m, c, k, k}, seed);
    int b = test::add_random_constant(g, std::string(name) + ".b", {m}, seed + 50);
    NodeAttrs a = conv_attrs(k, s, k / 2);
    a.activation = relu;
    return node(g, OpType::kConv, name, {in, w, b}, {1, m, hw, hw}, a);
  };
  int c0 = conv("stem", x, 3, 32, 3, 2, 15, 1);
  int c1 = conv("c1", c0, 32, 48, 1, 1, 15, 2);
  int c2 = conv("c2", c1, 48, 48, 3, 1, 15, 3);
  int c3 = conv("c3", c2, 48, 32, 1, 1, 15, 4);
  NodeAttrs add;
  add.activation = relu;
  int s = node(g, OpType::kAdd, "add", {c3, c0}, {1, 32, 15, 15}, add);
  int p = node(g, OpType::kGlobalAveragePool, "pool", {s}, {1, 32, 1, 1});
  NodeAttrs flat;
  flat.axis = 1;
  int f = node(g, OpType::kFlatten, "flat", {p}, {1, 32}, flat);
  int wf = test::add_random_constant(g, "fc.w", {10, 32}, 9);
  NodeAttrs gemm;
  gemm.trans_b = true;
  g.outputs = {node(g, OpType::kGemm, "fc", {f, wf}, {1, 10}, gemm)};
  for (const char* spec : {"cpu:threads=1,isa=avx2", "cpu:threads=2,isa=avx2"}) {
    CAPTURE(spec);
    std::vector<std::string> kinds;
    CHECK(compare(g, spec, nullptr, nullptr, nullptr, &kinds) <= kTolerance);
    REQUIRE(kinds.size() >= 4);
    CHECK(kinds[0] == "gemm_avx2_nchw");
    CHECK(kinds[1] == "gemm_avx2");
    CHECK(kinds[3] == "gemm_avx2");
  }
  // Asking for a level this CPU lacks is an error naming what it has; an unknown
  // name lists the valid ones.
  if (cpu::cpu_isa_detected() < cpu::CpuIsa::kAvx512) {
    auto hi = cpu::parse_cpu_isa("avx512");
    REQUIRE_FALSE(hi.ok());
    CHECK(hi.status().message().find("not available: this CPU runs up to avx2") !=
          std::string::npos);
  } else {
    MESSAGE("no level above " << std::string(cpu::cpu_isa_name(cpu::cpu_isa_detected()))
                              << " exists: only the unknown-name error is tested");
  }
  auto bad = cpu::parse_cpu_isa("avx9");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "isa must be auto, avx512, avx2 or generic, not 'avx9'");
  auto ps = parse_processor_spec("cpu:isa=avx9");
  REQUIRE(ps.ok());
  auto spec = parse_cpu_spec(ps.value());
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().message().find("cpu spec 'cpu:isa=avx9': isa must be") != std::string::npos);
}
