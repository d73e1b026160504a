// QGemm (a quantized fully connected layer) on the own int8 GEMMs: AMX (default
// spec where the CPU has it), VNNI (amx=off; K a multiple of 4), AVX2 (isa=avx2; 6
// rows or more), XNNPACK otherwise; bytes equal to the reference at 1 and 2 threads.
#include <doctest/doctest.h>

#include <cstring>

#include "kernels/cpu/x86/qgemm_amx.h"
#include "kernels/cpu/x86/qgemm_avx2.h"
#include "kernels/cpu/x86/qgemm_vnni.h"
#include "kernels/reference/reference_kernels.h"
#include "tests/onnx_convert_helpers.h"
#include "tests/qdq_builder.h"

using namespace tandem;
using namespace tandem::test;

namespace {

// x [rows, k] -> Q/DQ -> Gemm(transB = 1, bias) to m -> Relu -> Q/DQ.
Graph qgemm_model(int64_t rows, int64_t k, int64_t m) {
  QdqBuilder q;
  q.b.input("x", {rows, k});
  const std::string x = q.qdq("x", 0.03f, -5);
  auto wb = q.weights("fc", {m, k}, 0.03f);
  auto* fc = q.b.node("Gemm", {x, wb[0], wb[1]}, {"fc"}, "fc");
  OnnxBuilder::attr(fc, "transB", int64_t{1});
  q.b.node("Relu", {"fc"}, {"r"});
  const std::string y = q.qdq("r", 0.04f, -128);
  q.b.node("Identity", {y}, {"y"});
  q.b.output("y");
  ConvertOptions o;
  o.evaluate_constants = run_reference_node;
  return convert_ok(q.b, "cpu_int8_qgemm.onnx", o);
}

// The kind the spec should run the QGemm on, or "" when this CPU lacks the level.
std::string expected_kind(const std::string& spec, int64_t rows, int64_t k) {
  if (spec.find("avx2") != std::string::npos) {
    if (!test::skip_unless(cpu::qgemm_avx2_available(), "this CPU has no AVX2+FMA")) return "";
    return rows >= 6 ? "qgemm_avx2" : "xnnpack";
  }
  if (!test::skip_unless(cpu::qgemm_vnni_available(), "this CPU has no AVX-512 VNNI")) return "";
  if (spec.find("amx=off") == std::string::npos) {
    if (!test::skip_unless(cpu::qgemm_amx_available(), "this CPU has no AMX-INT8")) return "";
    return "qgemm_amx";
  }
  return k % 4 == 0 ? "qgemm_vnni" : "xnnpack";
}

}  // namespace

TEST_CASE("QGemm on the own int8 GEMMs equals the reference") {
  // 8 rows (a batch), K = 200 (AMX: a partial 64-deep tile) and 37 (odd: VNNI leaves it
  // to XNNPACK), M = 50 (a partial column block); 1 row, the batch-1 classifier case.
  struct Case {
    int64_t rows, k, m;
  };
  for (const Case c : {Case{8, 200, 50}, Case{8, 37, 50}, Case{1, 200, 50}}) {
    Graph g = qgemm_model(c.rows, c.k, c.m);
    const std::vector<float> ref = run_whole(g, "reference", nullptr);
    for (const char* spec : {"cpu:threads=1", "cpu:threads=2", "cpu:threads=2,amx=off",
                             "cpu:threads=1,isa=avx2", "cpu:threads=2,isa=avx2"}) {
      INFO("rows " << c.rows << " k " << c.k << " " << spec);
      const std::string kind = expected_kind(spec, c.rows, c.k);
      if (kind.empty()) continue;
      std::vector<std::string> kinds;
      const std::vector<float> got = run_whole(g, spec, &kinds);
      CHECK(cpu_test::count_kind(kinds, kind) == 1);
      REQUIRE(got.size() == ref.size());
      CHECK(std::memcmp(got.data(), ref.data(), ref.size() * sizeof(float)) == 0);
    }
  }
}
