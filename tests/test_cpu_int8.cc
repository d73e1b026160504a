// cpu int8 kernels (docs/int8.md) against the reference int8 kernels on a
// hand-built QDQ model with every int8 op: bit-identical at 1 and 2 threads,
// all native, and int8 tensors crossing a cut between two processors.
#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <random>

#include "engine/executor.h"
#include "graph/quant_math.h"
#include "kernels/cpu/x86/qdwconv.h"
#include "kernels/cpu/x86/qgemm_amx.h"
#include "kernels/cpu/x86/qgemm_avx2.h"
#include "kernels/cpu/x86/qgemm_vnni.h"
#include "kernels/reference/reference_kernels.h"
#include "scheduler/pipeline.h"
#include "tests/cpu_compare.h"
#include "tests/onnx_builder.h"
#include "tests/onnx_convert_helpers.h"
#include "tests/qdq_builder.h"
#include "tests/skip.h"

using namespace tandem;
using namespace tandem::test;

namespace {

// Every int8 op of docs/int8.md: stem conv + Relu, residual QAdd, 1x1 conv,
// QConcat, depthwise conv + Clip, QMaxPool, QGlobalAveragePool, QGemm.
OnnxBuilder all_int8_ops_model() {
  QdqBuilder q;
  OnnxBuilder& b = q.b;
  b.input("x", {1, 3, 16, 16});
  std::string x = q.qdq("x", 0.03f, 5);
  b.node("Relu", {q.conv("stem", x, 0.03f, 3, 8, 3, 2)}, {"a"});
  const std::string a = q.qdq("a", 0.05f, -128);
  const std::string r = q.qdq(q.conv("branch", a, 0.05f, 8, 8, 3, 1), 0.08f, 3);
  b.node("Add", {a, r}, {"sum"}, "add");
  const std::string s = q.qdq("sum", 0.09f, -20);
  const std::string p = q.qdq(q.conv("pw", s, 0.09f, 8, 8, 1, 1), 0.06f, 7);
  auto* cat = b.node("Concat", {s, p}, {"cat"}, "concat");
  OnnxBuilder::attr(cat, "axis", int64_t{1});
  const std::string c = q.qdq("cat", 0.1f, -4);
  b.init_floats("lo", {}, {0.0f});
  b.init_floats("hi", {}, {6.0f});
  b.node("Clip", {q.conv("dw", c, 0.1f, 16, 16, 3, 1, 16), "lo", "hi"}, {"clip"});
  const std::string d = q.qdq("clip", 0.04f, -128);
  auto* mp = b.node("MaxPool", {d}, {"pool"}, "maxpool");
  OnnxBuilder::attr(mp, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(mp, "strides", std::vector<int64_t>{2, 2});
  const std::string m = q.qdq("pool", 0.04f, -128);
  b.node("GlobalAveragePool", {m}, {"gap"}, "gap");
  const std::string g = q.qdq("gap", 0.02f, -100);
  b.node("Flatten", {g}, {"flat"}, "flatten");
  const std::string f = q.qdq("flat", 0.02f, -100);
  auto wb = q.weights("fc", {10, 16}, 0.02f);
  auto* fc = b.node("Gemm", {f, wb[0], wb[1]}, {"fc"}, "fc");
  OnnxBuilder::attr(fc, "transB", int64_t{1});
  const std::string y = q.qdq("fc", 0.05f, 2);
  b.node("Identity", {y}, {"y"});
  b.output("y");
  return b;
}

Graph converted_int8_model() {
  ConvertOptions o;
  o.evaluate_constants = run_reference_node;
  return convert_ok(all_int8_ops_model(), "cpu_int8_ops.onnx", o);
}

// The own GEMM kernels a dense-conv test graph should run on at one level.
struct OwnKinds {
  int64_t patch, direct, winograd = 0;  // qconv_*, qgemm_*, qwinograd_avx2
};

// Which own int8 GEMM a spec asks for: "amx" (the default where the CPU has AMX),
// "vnni" (amx=off, or no AMX), "avx2" (isa=avx2); "" when the CPU lacks that level
// (reported as skipped).
std::string own_gemm_level(const std::string& spec) {
  if (forces_avx2(spec)) return avx2_runs(cpu::qgemm_avx2_available()) ? "avx2" : "";
  if (!test::skip_unless(cpu::qgemm_vnni_available(), "this CPU has no AVX-512 VNNI")) return "";
  if (spec.find("amx=off") != std::string::npos) return "vnni";
  return test::skip_unless(cpu::qgemm_amx_available(), "this CPU has no AMX-INT8") ? "amx" : "";
}

// g on the own GEMMs at every level this CPU has (AMX: the default spec; VNNI:
// amx=off; AVX2: isa=avx2), 1 and 2 threads, the residual fused and apart: the kinds,
// and bytes equal to the reference's. A level the CPU lacks is reported as skipped.
void check_own_gemm(const Graph& g, int64_t fused, OwnKinds amx, OwnKinds vnni, OwnKinds avx2) {
  const std::vector<float> ref = run_whole(g, "reference", nullptr);
  for (const char* spec : {"cpu:threads=1", "cpu:threads=2", "cpu:threads=2,amx=off",
                           "cpu:threads=1,amx=off,residual=separate", "cpu:threads=1,isa=avx2",
                           "cpu:threads=2,isa=avx2", "cpu:threads=1,isa=avx2,residual=separate"}) {
    INFO(spec);
    const std::string level = own_gemm_level(spec);
    if (level.empty()) continue;
    std::vector<std::string> kinds;
    const std::vector<float> got = run_whole(g, spec, &kinds);
    const OwnKinds want = level == "amx" ? amx : level == "vnni" ? vnni : avx2;
    CHECK(cpu_test::count_kind(kinds, "qconv_" + level) == want.patch);
    CHECK(cpu_test::count_kind(kinds, "qgemm_" + level) == want.direct);
    CHECK(cpu_test::count_kind(kinds, "qwinograd_avx2") == want.winograd);
    const bool apart = std::string(spec).find("separate") != std::string::npos;
    CHECK(cpu_test::count_kind(kinds, "fused") == (apart ? 0 : fused));
    REQUIRE(got.size() == ref.size());
    CHECK(std::memcmp(got.data(), ref.data(), ref.size() * sizeof(float)) == 0);
  }
}

}  // namespace

TEST_CASE("the QDQ model maps every op onto an int8 op") {
  Graph g = converted_int8_model();
  std::map<OpType, int> ops;
  for (const Node& n : g.nodes) ops[n.op]++;
  CHECK(ops[OpType::kQConv] == 4);
  CHECK(ops[OpType::kQAdd] == 1);
  CHECK(ops[OpType::kQConcat] == 1);
  CHECK(ops[OpType::kQMaxPool] == 1);
  CHECK(ops[OpType::kQGlobalAveragePool] == 1);
  CHECK(ops[OpType::kQGemm] == 1);
  CHECK(ops[OpType::kConv] == 0);
}

TEST_CASE("cpu int8 is native and bit-identical to the reference at 1 and 2 threads") {
  Graph g = converted_int8_model();
  const std::vector<float> ref = run_whole(g, "reference", nullptr);
  double spread = 0;
  for (float v : ref) spread = std::max(spread, double(std::abs(v)));
  CHECK(spread > 0.2);  // the output carries signal, not one saturated value
  const bool vnni = cpu::qgemm_vnni_available();
  for (const char* spec :
       {"cpu:threads=1", "cpu:threads=2", "cpu:threads=2,gemm=xnnpack",
        "cpu:threads=1,residual=separate", "cpu:threads=1,amx=off", "cpu:threads=1,isa=avx2",
        "cpu:threads=2,isa=avx2", "cpu:threads=1,isa=avx2,residual=separate",
        "cpu:threads=1,isa=generic"}) {
    INFO(spec);
    const bool at_avx2 = forces_avx2(spec);
    if (at_avx2 && !avx2_runs(cpu::qgemm_avx2_available())) continue;
    const bool amx = !at_avx2 && cpu::qgemm_amx_available() &&
                     std::string(spec).find("amx=off") == std::string::npos;
    std::vector<std::string> kinds;
    const std::vector<float> got = run_whole(g, spec, &kinds);
    CHECK(cpu_test::count_kind(kinds, "reference") == 0);
    // 4 QConv, QGemm, QMaxPool on XNNPACK; where the CPU has VNNI, the 1x1 conv and the
    // QGemm on the own GEMM, the stem (C = 3, padded to 4) and the 3x3 on its patches, the
    // depthwise conv on the own AVX-512 loop (the GEMMs on AMX tiles where the CPU has them, VNNI
    // at amx=off); at isa=avx2 the same three on the exact AVX2 GEMM and the depthwise
    // conv on the own AVX2 loop; isa=generic: all on XNNPACK
    const bool own = (vnni || at_avx2) && std::string(spec).find("xnnpack") == std::string::npos &&
                     std::string(spec).find("generic") == std::string::npos;
    const std::string gemm = at_avx2 ? "avx2" : amx ? "amx" : "vnni";
    // the 1x1 conv, and the QGemm but at AVX2 (one row: XNNPACK, test_cpu_int8_qgemm)
    CHECK(cpu_test::count_kind(kinds, "qgemm_" + gemm) == (own ? (at_avx2 ? 1 : 2) : 0));
    CHECK(cpu_test::count_kind(kinds, "qconv_" + gemm) == (own ? 2 : 0));
    CHECK(cpu_test::count_kind(kinds, "qdwconv_avx512") == (own && !at_avx2 ? 1 : 0));
    CHECK(cpu_test::count_kind(kinds, "qdwconv_avx2") == (own && at_avx2 ? 1 : 0));
    if (!at_avx2)  // VNNI, XNNPACK or isa=generic: never the AVX2 GEMM
      CHECK(cpu_test::count_kind(kinds, "qgemm_avx2") + cpu_test::count_kind(kinds, "qconv_avx2") ==
            0);
    CHECK(cpu_test::count_kind(kinds, "xnnpack") == (own ? (at_avx2 ? 2 : 1) : 6));
    const bool fuse = own && std::string(spec).find("separate") == std::string::npos;
    CHECK(cpu_test::count_kind(kinds, "fused") ==
          (fuse ? 1 : 0));  // the QAdd, in the 3x3's epilogue
    REQUIRE(got.size() == ref.size());
    CHECK(std::memcmp(got.data(), ref.data(), ref.size() * sizeof(float)) == 0);
  }
}

// GoogLeNet's pools: 3x3 stride 2 with ceil_mode (8x8 -> 4x4, floor would give
// 3x3) and 3x3 stride 1 padded; XNNPACK's s8 pooling must see ceil_mode's extra
// row/column as padding or it writes a smaller output.
TEST_CASE("cpu QMaxPool with ceil_mode and padding is bit-identical to the reference") {
  QdqBuilder q;
  OnnxBuilder& b = q.b;
  b.input("x", {1, 8, 8, 8});
  const std::string x = q.qdq("x", 0.03f, 5);
  auto* p1 = b.node("MaxPool", {x}, {"p1"}, "pool_ceil");
  OnnxBuilder::attr(p1, "kernel_shape", std::vector<int64_t>{3, 3});
  OnnxBuilder::attr(p1, "strides", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(p1, "ceil_mode", int64_t{1});
  const std::string a = q.qdq("p1", 0.03f, 5);
  auto* p2 = b.node("MaxPool", {a}, {"p2"}, "pool_padded");
  OnnxBuilder::attr(p2, "kernel_shape", std::vector<int64_t>{3, 3});
  OnnxBuilder::attr(p2, "pads", std::vector<int64_t>{1, 1, 1, 1});
  const std::string y = q.qdq("p2", 0.03f, 5);
  b.node("Identity", {y}, {"y"});
  b.output("y");
  ConvertOptions o;
  o.evaluate_constants = run_reference_node;
  const Graph g = convert_ok(b, "qmaxpool_ceil.onnx", o);
  int pools = 0;
  for (const Node& n : g.nodes) pools += n.op == OpType::kQMaxPool;
  REQUIRE(pools == 2);
  CHECK(g.tensor(g.outputs[0]).shape == Shape{1, 8, 4, 4});
  const std::vector<float> ref = run_whole(g, "reference", nullptr);
  for (const char* spec : {"cpu:threads=1", "cpu:threads=2"}) {
    INFO(spec);
    std::vector<std::string> kinds;
    const std::vector<float> got = run_whole(g, spec, &kinds);
    CHECK(cpu_test::count_kind(kinds, "reference") == 0);
    REQUIRE(got.size() == ref.size());
    CHECK(std::memcmp(got.data(), ref.data(), ref.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("int8 tensors cross a cut between cpu and reference ranges unchanged") {
  Graph g = converted_int8_model();
  const int cut = [&] {  // after the QAdd: its int8 output crosses
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (g.nodes[i].op == OpType::kQAdd) return int(i) + 1;
    return -1;
  }();
  REQUIRE(cut > 0);
  RangeIO io = range_io(g, cut, int(g.nodes.size()));
  REQUIRE(io.inputs.size() == 1);
  CHECK(g.tensor(io.inputs[0]).dtype == DType::kInt8);
  auto cpu = cpu_test::make("cpu:threads=2");
  auto ref = cpu_test::make("reference");
  cpu_test::Tensors in = cpu_test::random_inputs(g, 0, cut, 3);
  for (float& v : in[0]) v *= 3.0f;
  cpu_test::Tensors mid_cpu = cpu_test::run_range(*cpu, g, 0, cut, in);
  cpu_test::Tensors mid_ref = cpu_test::run_range(*ref, g, 0, cut, in);
  const size_t bytes = size_t(shape_elements(g.tensor(io.inputs[0]).shape));
  CHECK(std::memcmp(mid_cpu[0].data(), mid_ref[0].data(), bytes) == 0);  // logical NCHW int8
  cpu_test::Tensors out_a = cpu_test::run_range(*ref, g, cut, int(g.nodes.size()), mid_cpu);
  cpu_test::Tensors out_b = cpu_test::run_range(*cpu, g, cut, int(g.nodes.size()), mid_ref);
  CHECK(out_a[0] == out_b[0]);
}

TEST_CASE("a pipeline hands int8 activations between stages in int8 slots") {
  Graph g = converted_int8_model();
  int cut = -1;  // after the QAdd: only its int8 output crosses
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].op == OpType::kQAdd) cut = int(i) + 1;
  REQUIRE(cut > 0);
  auto a = cpu_test::make("cpu:threads=1");
  auto b = cpu_test::make("reference");
  const int n = int(g.nodes.size());
  auto pipe = Pipeline::create(g, {StageSpec(a.get(), 0, cut), StageSpec(b.get(), cut, n)});
  REQUIRE_MESSAGE(pipe.ok(), pipe.status().to_string());
  const std::vector<float> whole = run_whole(g, "reference", nullptr);
  cpu_test::Tensors in = cpu_test::random_inputs(g, 0, n, 3);
  for (float& v : in[0]) v *= 3.0f;
  for (int frame = 0; frame < 3; ++frame) {
    auto out = (*pipe)->run(in);
    REQUIRE_MESSAGE(out.ok(), out.status().to_string());
    CHECK((*out)[0] == whole);
  }
}

TEST_CASE("the own int8 GEMMs' edges: strided patches, column and row tails, wide depth") {
  // 3x3 stride 2 over C = 5 (padded to 8) with M = 20 (a 4-column tail), then a 1x1 to M = 24 over
  // 20 channels, then a 3x3 over 24 channels to 40; 7x9 input: pixel counts not multiples of 8.
  QdqBuilder q;
  q.b.input("x", {1, 5, 7, 9});
  const std::string x = q.qdq("x", 0.02f, -7);
  const std::string a = q.qdq(q.conv("c1", x, 0.02f, 5, 20, 3, 2), 0.05f, 11);
  const std::string b = q.qdq(q.conv("c2", a, 0.05f, 20, 24, 1, 1), 0.04f, -9);
  const std::string c = q.qdq(q.conv("c3", b, 0.04f, 24, 40, 3, 1), 0.06f, 1);
  q.b.node("Identity", {c}, {"y"});
  q.b.output("y");
  ConvertOptions o;
  o.evaluate_constants = run_reference_node;
  Graph g = convert_ok(q.b, "cpu_int8_vnni_edges.onnx", o);
  check_own_gemm(g, 0, {2, 1}, {2, 1}, {2, 1});
}

TEST_CASE("the own int8 GEMMs' edges: stem, odd K, column groups, deep patches, residual") {
  // Batch 2 of a 15x13 C = 3 input: a 7x7 stride-2 stem (pads 3) to M = 20, a 1x1 to M = 7
  // (one partial block), a 1x1 over K = 7 (odd: padded to 8) to M = 136 (more than one
  // column group, a single-block tail), a 3x3 to 40, a 3x3 40 -> 40 whose QAdd with the
  // previous conv is fused, a 1x1 to 512, a 3x3 over 512 (depth 4608) to M = 12 and a
  // 3x3 with dilation 2 (pads 2) to M = 10.
  QdqBuilder q;
  q.b.input("x", {2, 3, 15, 13});
  const std::string x = q.qdq("x", 0.03f, 4);
  const std::string c1 = q.qdq(q.conv("c1", x, 0.03f, 3, 20, 7, 2), 0.05f, -3);
  const std::string c2 = q.qdq(q.conv("c2", c1, 0.05f, 20, 7, 1, 1), 0.04f, 6);
  const std::string c3 = q.qdq(q.conv("c3", c2, 0.04f, 7, 136, 1, 1), 0.05f, -12);
  const std::string c4 = q.qdq(q.conv("c4", c3, 0.05f, 136, 40, 3, 1), 0.07f, 2);
  const std::string c5 = q.qdq(q.conv("c5", c4, 0.07f, 40, 40, 3, 1), 0.06f, -5);
  q.b.node("Add", {c4, c5}, {"sum"}, "add");
  const std::string s = q.qdq("sum", 0.09f, 10);
  const std::string c6 = q.qdq(q.conv("c6", s, 0.09f, 40, 512, 1, 1), 0.05f, -1);
  const std::string c7 = q.qdq(q.conv("c7", c6, 0.05f, 512, 12, 3, 1), 0.08f, 7);
  const std::string c8 = q.qdq(q.conv("c8", c7, 0.08f, 12, 10, 3, 1, 1, 2), 0.05f, 0);
  q.b.node("Identity", {c8}, {"y"});
  q.b.output("y");
  ConvertOptions o;
  o.evaluate_constants = run_reference_node;
  Graph g = convert_ok(q.b, "cpu_int8_gemm_edges.onnx", o);
  // VNNI: C = 7 is no multiple of 4, so c3 runs on patches; AMX and AVX2 take odd K
  // directly, and AVX2 runs c7 (C = 512) on its Winograd.
  check_own_gemm(g, 1, {5, 3}, {6, 2}, {4, 3, 1});
}

namespace {

// A k x k depthwise QConv (optionally + Relu) over 20 channels of 9 x width: at the
// default spec (AVX-512 where the CPU has it) and isa=avx2, the kind and bytes
// equal to the reference's. A level the CPU lacks is reported as skipped.
void check_qdw(int64_t k, int64_t stride, bool relu, int64_t width) {
  QdqBuilder q;
  q.b.input("x", {1, 20, 9, width});
  const std::string x = q.qdq("x", 0.03f, 9);
  std::string d = q.conv("dw", x, 0.03f, 20, 20, k, stride, 20);
  if (relu) q.b.node("Relu", {d}, {"r"}), d = "r";
  d = q.qdq(d, 0.02f, -30);
  q.b.node("Identity", {d}, {"y"});
  q.b.output("y");
  ConvertOptions o;
  o.evaluate_constants = run_reference_node;
  Graph g = convert_ok(q.b, "cpu_int8_dw.onnx", o);
  const std::vector<float> ref = run_whole(g, "reference", nullptr);
  for (const char* spec : {"cpu:threads=2", "cpu:threads=1,isa=avx2", "cpu:threads=2,isa=avx2"}) {
    INFO(spec);
    const bool at_avx2 = forces_avx2(spec);
    if (at_avx2 && !avx2_runs(cpu::qdwconv_avx2_available())) continue;
    std::vector<std::string> kinds;
    const std::vector<float> got = run_whole(g, spec, &kinds);
    if (at_avx2)
      CHECK(cpu_test::count_kind(kinds, "qdwconv_avx2") == 1);
    else if (cpu::qdwconv_avx512_available())
      CHECK(cpu_test::count_kind(kinds, "qdwconv_avx512") == 1);
    REQUIRE(got.size() == ref.size());
    CHECK(std::memcmp(got.data(), ref.data(), ref.size() * sizeof(float)) == 0);
  }
}

}  // namespace

TEST_CASE("the own int8 depthwise loop: 3x3 and 5x5, strides 1 to 3, channel tails, edges") {
  // 20 channels: AVX-512 one full block of 16 and a tail of 4, AVX2 two blocks of 8
  // and a tail of 4. Widths: 11, groups of 4 interior pixels, single ones and border
  // columns; 4 and 3, no group (3x3: at most 2 interior pixels), for 5x5 every pixel
  // a border one. Stride 3: pixels singly. A Relu's clamp in the epilogue.
  for (int64_t width : {11, 4, 3})
    for (int64_t k : {3, 5})
      for (int64_t stride : {1, 2, 3})
        for (bool relu : {false, true}) {
          INFO("width " << width << " k " << k << " stride " << stride << " relu " << relu);
          check_qdw(k, stride, relu, width);
        }
}

namespace {

// qgemm_avx2_run on 2000 rows of odd k = 37 (one padded pair) by m columns, one
// thread, with a fused QAdd or an int8 clamp [lo, hi]: every output against
// qmath::requantize and qmath::add_values, the reference's scalar rules.
void check_avx2_direct(int64_t m, bool residual, int32_t lo, int32_t hi) {
  const int64_t rows = 2000, k = 37;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(-128, 127), bias(-5000, 5000);
  std::uniform_real_distribution<float> scale(0.0005f, 0.003f), factor(0.2f, 0.9f);
  std::vector<int8_t> a(size_t(rows * k)), w(size_t(m * k)), r(size_t(rows * m));
  for (int8_t& v : a) v = int8_t(byte(rng));
  for (int8_t& v : w) v = int8_t(byte(rng));
  for (int8_t& v : r) v = int8_t(byte(rng));
  std::vector<int32_t> b(static_cast<size_t>(m));
  std::vector<float> mult(static_cast<size_t>(m));
  for (int64_t o = 0; o < m; ++o) b[size_t(o)] = bias(rng), mult[size_t(o)] = scale(rng);
  const int32_t zx = -17, zy = 9;
  cpu::QGemmAvx2Weights pw = cpu::qgemm_avx2_pack(w.data(), m, k, b.data(), zx, mult, zy, lo, hi);
  const qmath::AddFactors f{factor(rng), factor(rng), 5, -3, -11};
  if (residual) {
    pw.residual = r.data();
    pw.add = f;
  }
  std::vector<int8_t> got(size_t(rows * m));
  cpu::qgemm_avx2_run(pw, a.data(), k, rows, got.data(), m, nullptr, 0);
  int64_t wrong = 0;
  for (int64_t p = 0; p < rows; ++p)
    for (int64_t o = 0; o < m; ++o) {
      int32_t acc = b[size_t(o)];
      for (int64_t i = 0; i < k; ++i) acc += (a[size_t(p * k + i)] - zx) * w[size_t(o * k + i)];
      const int8_t q = qmath::requantize(acc, mult[size_t(o)], zy, lo, hi);
      const int8_t want = residual ? qmath::add_values(q, r[size_t(p * m + o)], f) : q;
      wrong += got[size_t(p * m + o)] != want;
    }
  CHECK(wrong == 0);
}

}  // namespace

TEST_CASE("the AVX2 GEMM called directly equals the scalar rules on a million outputs") {
  if (!test::skip_unless(cpu::qgemm_avx2_available(), "this CPU has no AVX2+FMA")) return;
  // m = 500: the last column group ends in a single block of 4 columns; m = 492: in a
  // pair of blocks with 12 columns (the 16-byte store's tail).
  for (int64_t m : {500, 492})
    for (bool residual : {true, false}) {
      INFO("m " << m << " residual " << residual);
      check_avx2_direct(m, residual, residual ? -128 : -20, residual ? 127 : 100);
    }
}
