// The int8 NEON GEMM wired into the cpu processor (kernels/cpu/ops/qconv_neon.cc) at
// cpu:neon=on: 1x1 QConvs (one writing into a concat slice) and QGemm on it, bytes
// equal to the reference. Off aarch64 (or without SDOT) that is the scalar twin on the
// same packed operands, so the wiring is checked on every build; the SDOT intrinsics
// themselves under qemu (neon_qemu).
#include <doctest/doctest.h>

#include <cstring>

#include "kernels/cpu/neon/neon_kernels.h"
#include "kernels/reference/reference_kernels.h"
#include "tests/onnx_convert_helpers.h"
#include "tests/qdq_builder.h"

using namespace tandem;
using namespace tandem::test;

namespace {

// x [2, 12, 9, 7] -> 1x1 to 20 (+ Relu) -> 1x1 to 13 -> Concat(13 + 20) -> 1x1 to 40 ->
// GlobalAveragePool -> Flatten -> Gemm to 10.
Graph neon_int8_model() {
  QdqBuilder q;
  q.b.input("x", {2, 12, 9, 7});
  const std::string x = q.qdq("x", 0.03f, 7);
  q.b.node("Relu", {q.conv("c1", x, 0.03f, 12, 20, 1, 1)}, {"r1"});
  const std::string a = q.qdq("r1", 0.05f, -128);
  const std::string b = q.qdq(q.conv("c2", a, 0.05f, 20, 13, 1, 1), 0.04f, 3);
  OnnxBuilder::attr(q.b.node("Concat", {b, a}, {"cat"}, "cat"), "axis", int64_t{1});
  const std::string c = q.qdq("cat", 0.05f, -2);
  const std::string d = q.qdq(q.conv("c3", c, 0.05f, 33, 40, 1, 1), 0.06f, 1);
  q.b.node("GlobalAveragePool", {d}, {"gap"}, "gap");
  const std::string g = q.qdq("gap", 0.02f, -10);
  q.b.node("Flatten", {g}, {"flat"}, "flatten");
  const std::string f = q.qdq("flat", 0.02f, -10);
  auto wb = q.weights("fc", {10, 40}, 0.02f);
  OnnxBuilder::attr(q.b.node("Gemm", {f, wb[0], wb[1]}, {"fc"}, "fc"), "transB", int64_t{1});
  const std::string y = q.qdq("fc", 0.05f, 2);
  q.b.node("Identity", {y}, {"y"});
  q.b.output("y");
  ConvertOptions o;
  o.evaluate_constants = run_reference_node;
  return convert_ok(q.b, "cpu_int8_neon.onnx", o);
}

}  // namespace

TEST_CASE("1x1 QConvs and QGemm on the int8 NEON GEMM wiring equal the reference") {
  const Graph g = neon_int8_model();
  const std::vector<float> ref = run_whole(g, "reference", nullptr);
  const char* kind = neon::qgemm_s8_neon_available() ? "qgemm_neon" : "qgemm_neon_scalar";
  for (const char* spec : {"cpu:threads=1,neon=on", "cpu:threads=2,neon=on"}) {
    INFO(spec);
    std::vector<std::string> kinds;
    const std::vector<float> got = run_whole(g, spec, &kinds);
    CHECK(cpu_test::count_kind(kinds, kind) == 4);  // c1, c2, c3, fc
    REQUIRE(got.size() == ref.size());
    CHECK(std::memcmp(got.data(), ref.data(), ref.size() * sizeof(float)) == 0);
  }
  std::vector<std::string> kinds;  // neon=auto: the x86 or XNNPACK kernels, not NEON
  run_whole(g, "cpu:threads=1", &kinds);
  CHECK(cpu_test::count_kind(kinds, kind) == 0);
}
