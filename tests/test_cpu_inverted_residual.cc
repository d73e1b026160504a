// MobileNet's inverted residual block fused into one kernel
// (kernels/cpu/inverted_residual.cc) against the reference processor: strides 1
// and 2, with and without the residual Add, channel counts that leave masked
// tails, batch 2, one to three threads (tasks splitting an image's rows), and the
// graphs the compiler must not fuse; at every x86 level this CPU runs (isa=avx512,
// isa=avx2; a level it lacks is a skipped test case), and isa=generic, where
// nothing fuses.
#include <doctest/doctest.h>

#include "tests/cpu_compare.h"
#include "tests/skip.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

struct Block {
  // The projection is on the own GEMM only from 32 input and 24 output channels
  // (gemm_conv_profitable), so smaller blocks are not fused.
  int64_t n = 1, cin = 24, cexp = 72, cout = 24, h = 6, w = 28, stride = 1;
  bool residual = true;
  int64_t k = 3;                    // depthwise kernel size
  bool expanded_is_output = false;  // the expansion's output is also a graph output
};

Graph block_graph(const Block& b) {
  Graph g;
  const FusedActivation relu6{0.0f, 6.0f};
  int x = test::add_input(g, "x", {b.n, b.cin, b.h, b.w});
  int we = test::add_random_constant(g, "we", {b.cexp, b.cin, 1, 1}, 21);
  int be = test::add_random_constant(g, "be", {b.cexp}, 22);
  NodeAttrs ea = conv_attrs(1, 1, 0);
  ea.activation = relu6;
  int e = node(g, OpType::kConv, "expand", {x, we, be}, {b.n, b.cexp, b.h, b.w}, ea);
  const int64_t pad = b.k / 2;
  const int64_t oh = (b.h + 2 * pad - b.k) / b.stride + 1;
  const int64_t ow = (b.w + 2 * pad - b.k) / b.stride + 1;
  int wd = test::add_random_constant(g, "wd", {b.cexp, 1, b.k, b.k}, 23);
  int bd = test::add_random_constant(g, "bd", {b.cexp}, 24);
  NodeAttrs da = conv_attrs(b.k, b.stride, pad, b.cexp);
  da.activation = relu6;
  int d = node(g, OpType::kConv, "dw", {e, wd, bd}, {b.n, b.cexp, oh, ow}, da);
  int wp = test::add_random_constant(g, "wp", {b.cout, b.cexp, 1, 1}, 25);
  int bp = test::add_random_constant(g, "bp", {b.cout}, 26);
  int p =
      node(g, OpType::kConv, "project", {d, wp, bp}, {b.n, b.cout, oh, ow}, conv_attrs(1, 1, 0));
  if (b.residual) p = node(g, OpType::kAdd, "add", {p, x}, {b.n, b.cout, oh, ow});
  g.outputs = {p};
  if (b.expanded_is_output) g.outputs.push_back(e);
  return g;
}

// cpu `spec` vs reference; returns the worst error, the fused block count and kinds.
double run_block(const Graph& g, const std::string& spec, int64_t& blocks,
                 std::vector<std::string>& kinds) {
  return compare_with(g, spec, [&](const Executable& e) {
    kinds = e.kernel_kinds();
    blocks = 0;  // the block kernel of any level: inverted_residual[_avx2]
    for (const std::string& k : kinds) blocks += k.rfind("inverted_residual", 0) == 0;
  });
}

bool cpu_runs(cpu::CpuIsa isa) {
  return cpu::cpu_isa_detected() >= isa;
}

// The fused block's kernel kind at `isa`.
std::string block_kind(const std::string& isa) {
  return isa == "avx512" ? "inverted_residual" : "inverted_residual_" + isa;
}

void check_blocks(const std::string& isa) {
  std::vector<Block> cases;
  cases.push_back(Block{});                                   // stride 1 + residual
  cases.push_back(Block{1, 24, 144, 32, 7, 30, 2, false});    // stride 2
  cases.push_back(Block{2, 24, 72, 24, 5, 29, 1, true});      // batch 2, odd width
  cases.push_back(Block{1, 32, 200, 48, 9, 28, 2, false});    // even height, stride 2
  cases.push_back(Block{2, 8, 40, 24, 3, 31, 2, false});      // tiny channels
  cases.push_back(Block{1, 24, 72, 24, 7, 28, 1, true, 5});   // 5x5 depthwise (MnasNet)
  cases.push_back(Block{2, 24, 72, 32, 6, 30, 2, false, 5});  // 5x5, stride 2
  for (const std::string threads : {"1", "2", "3"}) {
    const std::string spec = "cpu:threads=" + threads + ",isa=" + isa;
    for (const Block& b : cases) {
      CAPTURE(spec);
      CAPTURE(b.n);
      CAPTURE(b.cexp);
      CAPTURE(b.h);
      CAPTURE(b.w);
      CAPTURE(b.stride);
      CAPTURE(b.k);
      const Graph g = block_graph(b);
      int64_t blocks = -1;
      std::vector<std::string> kinds;
      CHECK(run_block(g, spec, blocks, kinds) <= kTolerance);
      CHECK(blocks == 1);
      REQUIRE(kinds.size() >= 3);
      CHECK(kinds[0] == "fused");  // the expansion and the depthwise conv do nothing
      CHECK(kinds[1] == "fused");
      CHECK(kinds[2] == block_kind(isa));
      // blocks=separate runs the three convs one by one, to the same bound.
      CHECK(run_block(g, spec + ",blocks=separate", blocks, kinds) <= kTolerance);
      CHECK(blocks == 0);
      CHECK(kinds[2] != block_kind(isa));
    }
  }
}

void check_blocks_without_expansion(const std::string& isa) {
  // x -> dw 3x3 (stride 1 or 2, 5x5 too) -> 1x1 with 16 outputs (alone on XNNPACK)
  // x being a concat of two inputs (and an output itself).
  for (int64_t k : {3, 5})
    for (int64_t stride : {1, 2})
      for (const std::string threads : {"1", "2"}) {
        const std::string spec = "cpu:threads=" + threads + ",isa=" + isa;
        CAPTURE(k);
        CAPTURE(stride);
        CAPTURE(spec);
        Graph g;
        int a = test::add_input(g, "a", {1, 16, 9, 30});
        int b = test::add_input(g, "b", {1, 16, 9, 30});
        NodeAttrs cat;
        cat.axis = 1;
        int x = node(g, OpType::kConcat, "cat", {a, b}, {1, 32, 9, 30}, cat);
        const int64_t oh = (9 + 2 * (k / 2) - k) / stride + 1,
                      ow = (30 + 2 * (k / 2) - k) / stride + 1;
        int wd = test::add_random_constant(g, "wd", {32, 1, k, k}, 3);
        NodeAttrs da = conv_attrs(k, stride, k / 2, 32);
        da.activation = {0.0f, 6.0f};
        int d = node(g, OpType::kConv, "dw", {x, wd}, {1, 32, oh, ow}, da);
        int wp = test::add_random_constant(g, "wp", {16, 32, 1, 1}, 4);
        int bp = test::add_random_constant(g, "bp", {16}, 5);
        int p =
            node(g, OpType::kConv, "project", {d, wp, bp}, {1, 16, oh, ow}, conv_attrs(1, 1, 0));
        g.outputs = {p, x};
        int64_t blocks = -1;
        std::vector<std::string> kinds;
        CHECK(run_block(g, spec, blocks, kinds) <= kTolerance);
        CHECK(blocks == 1);
        REQUIRE(kinds.size() == 3);
        CHECK(kinds[1] == "fused");
        CHECK(kinds[2] == block_kind(isa));
      }
}

void check_unfused(const std::string& isa) {
  const std::string spec = "cpu:threads=2,isa=" + isa;
  int64_t blocks = -1;
  std::vector<std::string> kinds;
  Block narrow;
  narrow.w = 14;  // rows too short to pay for a GEMM call each
  CHECK(run_block(block_graph(narrow), spec, blocks, kinds) <= kTolerance);
  CHECK(blocks == 0);
  // The expanded map is needed after all: the expansion runs alone, and the
  // depthwise conv and projection fuse as a block without expansion.
  Block shared;
  shared.expanded_is_output = true;
  CHECK(run_block(block_graph(shared), spec, blocks, kinds) <= kTolerance);
  CHECK(blocks == 1);
  REQUIRE(kinds.size() >= 3);
  CHECK(kinds[0] != "fused");
  CHECK(kinds[1] == "fused");
  CHECK(kinds[2] == block_kind(isa));
  // XNNPACK only: nothing of the own kernels is fused in.
  CHECK(run_block(block_graph(Block{}), spec + ",gemm=xnnpack", blocks, kinds) <= kTolerance);
  CHECK(blocks == 0);
}

}  // namespace

TEST_CASE("an inverted residual block, isa=avx512, runs as one kernel and matches the reference" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx512))) {
  check_blocks("avx512");
  check_blocks_without_expansion("avx512");
  check_unfused("avx512");
}

TEST_CASE("an inverted residual block, isa=avx2, runs as one kernel and matches the reference" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx2))) {
  check_blocks("avx2");
  check_blocks_without_expansion("avx2");
  check_unfused("avx2");
}

TEST_CASE("isa=generic runs a block's convs one by one") {
  const Graph g = block_graph(Block{});
  CHECK_FALSE(cpu::inverted_residual_fusable(g, &g.nodes[0], g.nodes[1], g.nodes[2],
                                             cpu::CpuIsa::kGeneric));
  int64_t blocks = -1;
  std::vector<std::string> kinds;
  CHECK(run_block(g, "cpu:threads=2,isa=generic", blocks, kinds) <= kTolerance);
  CHECK(blocks == 0);
}

TEST_CASE("a fused block's time is shared among its nodes by their MACs" *
          doctest::skip(!cpu_runs(cpu::CpuIsa::kAvx2))) {
  const Graph g = block_graph(Block{});
  const int n = int(g.nodes.size());
  auto cpu = make("cpu:threads=1");
  auto exe = cpu->compile(g, 0, n);
  REQUIRE(exe.ok());
  int64_t blocks = 0;  // the block kernel of the CPU's level: inverted_residual[_avx2]
  for (const std::string& k : exe.value()->kernel_kinds())
    blocks += k.rfind("inverted_residual", 0) == 0;
  REQUIRE(blocks == 1);
  Tensors in = random_inputs(g, 0, n);
  std::vector<float> out(size_t(shape_elements(g.tensor(g.outputs[0]).shape)));
  const float* inp = in[0].data();
  float* outp = out.data();
  std::vector<double> ms;
  RunOptions opts;
  opts.node_ms = &ms;
  REQUIRE(exe.value()->run(&inp, &outp, opts).ok());
  REQUIRE(ms.size() == size_t(n));
  // expand, dw, project: each gets its MACs' share of the one kernel's time.
  const double me = double(node_macs(g, g.nodes[0])), md = double(node_macs(g, g.nodes[1]));
  const double mp = double(node_macs(g, g.nodes[2]));
  CHECK(ms[0] > 0);
  CHECK(ms[1] > 0);
  CHECK(ms[2] > 0);
  // (The first node also carries the range's entry conversion.)
  CHECK(ms[0] / ms[2] >= me / mp * (1 - 1e-9));
  CHECK(ms[1] / ms[2] == doctest::Approx(md / mp).epsilon(1e-9));
}
