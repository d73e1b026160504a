// The transformer pieces on the cpu processor against the reference: MatMul of two
// run-time tensors with broadcast batch dims on the own GEMM (attention's Q K^T and
// softmax(.) V, one task per head), on every ISA level this machine runs and at 1
// and 2 threads; an attention head chain with no fallback node; Gather natively.
#include <doctest/doctest.h>

#include "kernels/cpu/x86/gemm.h"
#include "tests/cpu_compare.h"
#include "tests/skip.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

std::vector<std::string> own_gemm_specs() {
  std::vector<std::string> specs;
  for (cpu::CpuIsa isa : {cpu::CpuIsa::kAvx512, cpu::CpuIsa::kAvx2}) {
    if (!test::skip_unless(cpu::gemm_isa_supported(isa),
                           std::string("this CPU does not run ") + cpu::cpu_isa_name(isa)))
      continue;
    for (const char* t : {"1", "2"})
      specs.push_back(std::string("cpu:threads=") + t + ",isa=" + cpu::cpu_isa_name(isa));
  }
  return specs;
}

Graph matmul_graph(Shape a, Shape b, Shape y, bool constant_b = false) {
  Graph g;
  int x = test::add_input(g, "a", a);
  int w = constant_b ? test::add_random_constant(g, "b", b, 5) : test::add_input(g, "b", b);
  g.outputs = {node(g, OpType::kMatMul, "mm", {x, w}, y)};
  return g;
}

}  // namespace

TEST_CASE("cpu MatMul of run-time tensors runs on the own GEMM and matches the reference") {
  struct Case {
    Shape a, b, y;
    bool constant_b;
  };
  const Case cases[] = {
      {{12, 17, 64}, {12, 64, 17}, {12, 17, 17}, false},   // Q K^T per head
      {{12, 17, 17}, {12, 17, 64}, {12, 17, 64}, false},   // softmax(.) V
      {{2, 1, 5, 33}, {3, 33, 40}, {2, 3, 5, 40}, false},  // broadcast both ways, rank 4 out
      {{3, 7, 9}, {9, 70}, {3, 7, 70}, false},             // B shared: one matrix of 21 rows
      {{30, 1, 40}, {40, 30}, {30, 1, 30}, true},          // ViT's [197, 1, 768] x W
      {{7, 9}, {9, 70}, {7, 70}, false},                   // one matrix
      {{9}, {4, 9, 6}, {4, 6}, false},                     // 1-D A
      {{2, 7, 9}, {2, 9, 70}, {2, 7, 70}, true},           // constant B with batch dims
  };
  for (const std::string& spec : own_gemm_specs())
    for (const Case& c : cases) {
      INFO(spec << " A " << shape_to_string(c.a) << " B " << shape_to_string(c.b));
      std::vector<std::string> fb, kinds;
      Graph g = matmul_graph(c.a, c.b, c.y, c.constant_b);
      CHECK(compare(g, spec, &fb, nullptr, nullptr, &kinds) <= kTolerance);
      // Rank 4 too: a MatMul's 4-D tensors keep their logical layout (image_layout.h).
      CHECK(fb.empty());
      CHECK(kinds[0].rfind("gemm_", 0) == 0);
    }
}

TEST_CASE("cpu attention head chain (ViT's) runs without fallback nodes") {
  // q, k, v [T, H, D] as the in-projection's slices reshape them; scores = (q^T / c) k,
  // softmax over keys, times v, heads back to [T, H*D].
  const int64_t t = 11, h = 3, d = 16;
  Graph g;
  int q = test::add_input(g, "q", {t, h, d});
  int k = test::add_input(g, "k", {t, h, d});
  int v = test::add_input(g, "v", {t, h, d});
  NodeAttrs p102;
  p102.perm = {1, 0, 2};
  NodeAttrs p120;
  p120.perm = {1, 2, 0};
  int qt = node(g, OpType::kTranspose, "qt", {q}, {h, t, d}, p102);
  int eight = test::add_random_constant(g, "scale_by", {1}, 8);
  int qs = node(g, OpType::kDiv, "scale", {qt, eight}, {h, t, d});
  int kt = node(g, OpType::kTranspose, "kt", {k}, {h, d, t}, p120);
  int s = node(g, OpType::kMatMul, "scores", {qs, kt}, {h, t, t});
  NodeAttrs last;
  last.axis = 2;
  int p = node(g, OpType::kSoftmax, "softmax", {s}, {h, t, t}, last);
  int vt = node(g, OpType::kTranspose, "vt", {v}, {h, t, d}, p102);
  int o = node(g, OpType::kMatMul, "context", {p, vt}, {h, t, d});
  int ot = node(g, OpType::kTranspose, "ot", {o}, {t, h, d}, p102);
  NodeAttrs r;
  r.shape = {t, h * d};
  NodeAttrs gather;
  gather.axis = 0;
  gather.indices = {0};
  int flat = node(g, OpType::kReshape, "merge", {ot}, {t, h * d}, r);
  g.outputs = {node(g, OpType::kGather, "cls", {flat}, {h * d}, gather), flat};
  for (const char* spec : {"cpu:threads=1", "cpu:threads=2"}) {
    INFO(spec);
    std::vector<std::string> fb, kinds;
    CHECK(compare(g, spec, &fb, nullptr, nullptr, &kinds) <= kTolerance);
    CHECK(fb.empty());
  }
}

TEST_CASE("cpu Slice of tensors of rank != 4 is native: ViT's q, k, v thirds, any steps") {
  struct Case {
    Shape x;
    std::vector<int64_t> starts, ends, axes, steps;
    Shape y;
  };
  const Case cases[] = {
      {{7, 1, 96}, {32}, {64}, {2}, {1}, {7, 1, 32}},                      // the middle third
      {{5, 9}, {4, -1}, {0, -100}, {0, 1}, {-2, -3}, {2, 3}},              // negative steps
      {{3, 4, 5, 2, 2}, {1, 1}, {3, 5}, {1, 2}, {2, 1}, {3, 1, 4, 2, 2}},  // rank 5
  };
  for (const Case& c : cases) {
    INFO(shape_to_string(c.x));
    Graph g;
    int x = test::add_input(g, "x", c.x);
    NodeAttrs a;
    a.starts = c.starts;
    a.ends = c.ends;
    a.axes = c.axes;
    a.steps = c.steps;
    g.outputs = {node(g, OpType::kSlice, "slice", {x}, c.y, a)};
    for (const char* spec : {"cpu:threads=1", "cpu:threads=2"}) {
      std::vector<std::string> fb;
      CHECK(compare(g, spec, &fb) == 0.0);
      CHECK(fb.empty());
    }
  }
}

TEST_CASE("cpu Gemm with enough rows runs on the own GEMM: trans_b, alpha, beta, C row or scalar") {
  struct Case {
    bool trans_b;
    float alpha, beta;
    Shape c;
  };
  const Case cases[] = {
      {true, 1.0f, 1.0f, {40}}, {false, 0.5f, 2.0f, {1, 40}}, {true, 1.5f, -1.0f, {1}}};
  for (const std::string& spec : own_gemm_specs())
    for (const Case& c : cases) {
      INFO(spec << " trans_b " << c.trans_b << " C " << shape_to_string(c.c));
      Graph g;
      int x = test::add_input(g, "x", {30, 50});
      int w = test::add_random_constant(g, "w", c.trans_b ? Shape{40, 50} : Shape{50, 40}, 4);
      int bias = test::add_random_constant(g, "c", c.c, 6);
      NodeAttrs a;
      a.trans_b = c.trans_b;
      a.alpha = c.alpha;
      a.beta = c.beta;
      a.activation.min = -0.5f;
      g.outputs = {node(g, OpType::kGemm, "fc", {x, w, bias}, {30, 40}, a)};
      std::vector<std::string> fb, kinds;
      CHECK(compare(g, spec, &fb, nullptr, nullptr, &kinds) <= kTolerance);
      CHECK(fb.empty());
      CHECK(kinds[0].rfind("gemm_", 0) == 0);
    }
}

TEST_CASE("cpu MatMul -> Add of a bias row: the own GEMM adds it, the Add runs nothing") {
  for (const std::string& spec : own_gemm_specs())
    for (bool bias_first : {false, true}) {
      INFO(spec << (bias_first ? " Add(bias, y)" : " Add(y, bias)"));
      Graph g;
      int x = test::add_input(g, "x", {2, 30, 40});
      int w = test::add_random_constant(g, "w", {40, 24}, 4);
      int b = test::add_random_constant(g, "b", {24}, 5);
      int y = node(g, OpType::kMatMul, "mm", {x, w}, {2, 30, 24});
      NodeAttrs relu;
      relu.activation.min = 0.0f;
      std::vector<int> ins = bias_first ? std::vector<int>{b, y} : std::vector<int>{y, b};
      g.outputs = {node(g, OpType::kAdd, "bias", ins, {2, 30, 24}, relu)};
      std::vector<std::string> fb, kinds;
      CHECK(compare(g, spec, &fb, nullptr, nullptr, &kinds) <= kTolerance);
      CHECK(fb.empty());
      REQUIRE(kinds.size() == 2);
      CHECK(kinds[0].rfind("gemm_", 0) == 0);
      CHECK(kinds[1] == "fused");
    }
  Graph shared;  // y read twice: no fusion, same values
  int x = test::add_input(shared, "x", {30, 40});
  int w = test::add_random_constant(shared, "w", {40, 24}, 4);
  int b = test::add_random_constant(shared, "b", {24}, 5);
  int y = node(shared, OpType::kMatMul, "mm", {x, w}, {30, 24});
  shared.outputs = {node(shared, OpType::kAdd, "bias", {y, b}, {30, 24}), y};
  std::vector<std::string> kinds;
  CHECK(compare(shared, "cpu:threads=2", nullptr, nullptr, nullptr, &kinds) <= kTolerance);
  CHECK(kinds[1] != "fused");
}
