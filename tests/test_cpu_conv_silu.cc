// Conv -> Sigmoid -> Mul (SiLU, as YOLO and EfficientNet export it) in the
// epilogue of the own GEMM conv and of Winograd: against the reference, bit-identical
// to the separate SiLU kernel (silu=separate), on every x86 level this CPU runs (a
// level it lacks is a skipped case), with the SiLU written into a concat slice, and
// the patterns that must not fuse.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>

#include "kernels/cpu/x86/gemm.h"
#include "tests/cpu_compare.h"
#include "tests/skip.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

struct SiluGraph {
  Graph g;
  int x1 = -1;  // the 3x3 conv's output (before its SiLU)
};

// x [1, 24, 12, 12] -> 3x3 conv (Winograd with winograd=on) -> SiLU -> 1x1 conv
// -> SiLU(swapped Mul operands); x -> 1x1 conv (40 outputs: masked tail) -> SiLU;
// the two SiLU outputs concatenated (each SiLU writes its channel slice).
SiluGraph silu_graph() {
  SiluGraph s;
  Graph& g = s.g;
  int x = test::add_input(g, "x", {1, 24, 12, 12});
  auto conv = [&](const char* name, int in, int64_t c, int64_t m, int64_t k, uint32_t seed) {
    int w = test::add_random_constant(g, std::string(name) + ".w", {m, c, k, k}, seed);
    int b = test::add_random_constant(g, std::string(name) + ".b", {m}, seed + 100);
    return node(g, OpType::kConv, name, {in, w, b}, {1, m, 12, 12}, conv_attrs(k, 1, k / 2));
  };
  auto silu = [&](const char* name, int in, int64_t m, bool swap) {
    const Shape shape{1, m, 12, 12};
    int sg = node(g, OpType::kSigmoid, std::string(name) + ".sig", {in}, shape);
    return node(g, OpType::kMul, std::string(name) + ".mul",
                swap ? std::vector<int>{sg, in} : std::vector<int>{in, sg}, shape);
  };
  s.x1 = conv("c1", x, 24, 32, 3, 1);
  int y1 = silu("s1", s.x1, 32, false);
  int y2 = silu("s2", conv("c2", y1, 32, 32, 1, 2), 32, true);
  int y3 = silu("s3", conv("c3", x, 24, 40, 1, 3), 40, false);
  NodeAttrs cat;
  cat.axis = 1;
  g.outputs = {node(g, OpType::kConcat, "cat", {y2, y3}, {1, 72, 12, 12}, cat)};
  return s;
}

int64_t count_op_kind(const Graph& g, const std::vector<std::string>& kinds, OpType op,
                      const std::string& kind) {
  int64_t n = 0;
  for (size_t i = 0; i < kinds.size() && i < g.nodes.size(); ++i)
    n += g.nodes[i].op == op && kinds[i] == kind;
  return n;
}

struct Run {
  Tensors out;
  std::vector<std::string> kinds;
};

Run run_cpu(const Graph& g, const std::string& spec) {
  auto p = make(spec);
  std::unique_ptr<Executable> exe;
  Executable* e = nullptr;
  Run r;
  const int n = int(g.nodes.size());
  r.out = run_range(*p, g, 0, n, random_inputs(g, 0, n), &e, &exe);
  r.kinds = e->kernel_kinds();
  return r;
}

bool same_bits(const Tensors& a, const Tensors& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].size() != b[i].size() ||
        std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0)
      return false;
  return true;
}

std::vector<std::string> own_gemm_isas() {
  std::vector<std::string> isas;
  for (cpu::CpuIsa isa : {cpu::CpuIsa::kAvx512, cpu::CpuIsa::kAvx2})
    if (test::skip_unless(cpu::gemm_isa_supported(isa),
                          std::string("this CPU does not run ") + cpu::cpu_isa_name(isa) +
                              ", so its SiLU epilogue is not tested here"))
      isas.push_back(cpu::cpu_isa_name(isa));
  return isas;
}

}  // namespace

TEST_CASE(
    "Conv -> SiLU runs in the GEMM and Winograd epilogues, bit-identical to the SiLU kernel") {
  const SiluGraph s = silu_graph();
  for (const std::string& isa : own_gemm_isas())
    for (const char* threads : {"1", "2"}) {
      const std::string spec =
          std::string("cpu:threads=") + threads + ",gemm=own,winograd=on,isa=" + isa;
      CAPTURE(spec);
      CHECK(compare(s.g, spec) <= kTolerance);
      const Run fused = run_cpu(s.g, spec);
      const Run separate = run_cpu(s.g, spec + ",silu=separate");
      CHECK(same_bits(fused.out, separate.out));
      // All three SiLUs fused: their Sigmoid and Mul do nothing, no SiLU kernel runs.
      CHECK(count_op_kind(s.g, fused.kinds, OpType::kSigmoid, "fused") == 3);
      CHECK(count_op_kind(s.g, fused.kinds, OpType::kMul, "fused") == 3);
      CHECK(count_kind(separate.kinds, isa == "avx512" ? "silu" : "silu_" + isa) == 3);
      CHECK(std::count_if(fused.kinds.begin(), fused.kinds.end(), [](const std::string& k) {
              return k.rfind("winograd_f43", 0) == 0;
            }) == 1);
    }
}

TEST_CASE("Conv -> SiLU stays separate where the conv cannot apply it or x is read elsewhere") {
  if (own_gemm_isas().empty()) return;
  SiluGraph s = silu_graph();
  // XNNPACK's convolution has no SiLU epilogue: the gated kernel runs the SiLUs.
  const Run xnn = run_cpu(s.g, "cpu:threads=1,gemm=xnnpack,winograd=off");
  CHECK(count_op_kind(s.g, xnn.kinds, OpType::kMul, "fused") == 0);
  CHECK(compare(s.g, "cpu:threads=1,gemm=xnnpack,winograd=off") <= kTolerance);
  // The 3x3 conv's raw output also a graph output: that SiLU stays a kernel of its own.
  s.g.outputs.push_back(s.x1);
  const Run r = run_cpu(s.g, "cpu:threads=2,gemm=own,winograd=on");
  CHECK(count_op_kind(s.g, r.kinds, OpType::kMul, "fused") == 2);
  CHECK(compare(s.g, "cpu:threads=2,gemm=own,winograd=on") <= kTolerance);
}

TEST_CASE("silu= is a cpu spec option: fused or separate") {
  auto bad = registry().create("cpu:silu=maybe");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("silu") != std::string::npos);
  CHECK(make("cpu:threads=1,silu=separate")->spec() == "cpu:threads=1,silu=separate");
}
