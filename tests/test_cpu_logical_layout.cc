// 4-D tensors that are not images keep their logical layout inside a cpu range
// (kernels/cpu/compiler/image_layout.h): a Swin-style block on [B, H, W, C]
// tensors (LayerNorm and MatMul over C, the shifted window's roll as Slice +
// Concat along H, patch merging's strided slices + Concat along C, attention's
// 4-D Softmax and Gather) runs natively and matches the reference; a CNN's 4-D
// tensors stay NHWC images.
#include <doctest/doctest.h>

#include "kernels/cpu/compiler/image_layout.h"
#include "tests/cpu_compare.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

NodeAttrs slice_attrs(std::vector<int64_t> starts, std::vector<int64_t> ends,
                      std::vector<int64_t> axes, std::vector<int64_t> steps) {
  NodeAttrs a;
  a.starts = std::move(starts);
  a.ends = std::move(ends);
  a.axes = std::move(axes);
  a.steps = std::move(steps);
  return a;
}

NodeAttrs axis_attrs(int64_t axis) {
  NodeAttrs a;
  a.axis = axis;
  return a;
}

// x [1, 8, 8, 16] -> LayerNorm(C) -> MatMul [16, 32] -> roll by 3 along H (Slice, Slice,
// Concat axis 1) -> patch merging (4 strided slices, Concat axis 3) -> MatMul [128, 16].
Graph swin_like_chain() {
  Graph g;
  const int x = test::add_input(g, "x", {1, 8, 8, 16});
  NodeAttrs ln;
  ln.axes = {3};
  const int n = node(g, OpType::kLayerNormalization, "ln",
                     {x, test::add_random_constant(g, "gamma", {16}, 3),
                      test::add_random_constant(g, "beta", {16}, 4)},
                     {1, 8, 8, 16}, ln);
  const int h = node(g, OpType::kMatMul, "fc1",
                     {n, test::add_random_constant(g, "w1", {16, 32}, 5)}, {1, 8, 8, 32});
  const int lo =
      node(g, OpType::kSlice, "roll_lo", {h}, {1, 5, 8, 32}, slice_attrs({3}, {8}, {1}, {1}));
  const int hi =
      node(g, OpType::kSlice, "roll_hi", {h}, {1, 3, 8, 32}, slice_attrs({0}, {3}, {1}, {1}));
  const int r = node(g, OpType::kConcat, "roll", {lo, hi}, {1, 8, 8, 32}, axis_attrs(1));
  std::vector<int> quarters;
  for (int64_t i = 0; i < 4; ++i)
    quarters.push_back(node(g, OpType::kSlice, "merge" + std::to_string(i), {r}, {1, 4, 4, 32},
                            slice_attrs({i % 2, i / 2}, {8, 8}, {1, 2}, {2, 2})));
  const int m = node(g, OpType::kConcat, "merge", quarters, {1, 4, 4, 128}, axis_attrs(3));
  g.outputs = {node(g, OpType::kMatMul, "reduction",
                    {m, test::add_random_constant(g, "w2", {128, 16}, 6)}, {1, 4, 4, 16})};
  return g;
}

// Attention over [windows, heads, tokens, d]: qkv [3, 4, 2, 9, 8] -> Gather q, k, v ->
// q k^T (4-D MatMul of run-time tensors) -> Softmax over the last axis -> x v.
Graph attention_4d() {
  Graph g;
  const int qkv = test::add_input(g, "qkv", {3, 4, 2, 9, 8});
  int parts[3];
  for (int64_t i = 0; i < 3; ++i) {
    NodeAttrs a = axis_attrs(0);
    a.indices = {i};
    parts[i] = node(g, OpType::kGather, "gather" + std::to_string(i), {qkv}, {4, 2, 9, 8}, a);
  }
  NodeAttrs perm;
  perm.perm = {0, 1, 3, 2};
  const int kt = node(g, OpType::kTranspose, "kt", {parts[1]}, {4, 2, 8, 9}, perm);
  const int s = node(g, OpType::kMatMul, "qk", {parts[0], kt}, {4, 2, 9, 9});
  const int p = node(g, OpType::kSoftmax, "softmax", {s}, {4, 2, 9, 9}, axis_attrs(3));
  g.outputs = {node(g, OpType::kMatMul, "pv", {p, parts[2]}, {4, 2, 9, 8})};
  return g;
}

}  // namespace

TEST_CASE("a Swin-style chain on [B, H, W, C] runs natively and matches the reference") {
  for (const char* spec : {"cpu:threads=1", "cpu:threads=2", "cpu:threads=1,isa=avx2"}) {
    INFO(spec);
    std::vector<std::string> fb;
    CHECK(compare(swin_like_chain(), spec, &fb) <= kTolerance);
    CHECK(fb.empty());
  }
}

TEST_CASE("4-D attention (Gather, MatMul, last-axis Softmax) runs natively") {
  std::vector<std::string> fb;
  CHECK(compare(attention_4d(), "cpu:threads=2", &fb) <= kTolerance);
  CHECK(fb.empty());
}

TEST_CASE("image_layout_tensors: CNN tensors are images, transformer 4-D tensors are not") {
  Graph g;
  const int x = test::add_input(g, "x", {1, 3, 8, 8});
  const int c =
      node(g, OpType::kConv, "conv", {x, test::add_random_constant(g, "w", {16, 3, 3, 3}, 1)},
           {1, 16, 6, 6}, conv_attrs(3, 1, 0));
  const int r = node(g, OpType::kRelu, "relu", {c}, {1, 16, 6, 6});
  NodeAttrs perm;
  perm.perm = {0, 2, 3, 1};
  const int t = node(g, OpType::kTranspose, "to_bhwc", {r}, {1, 6, 6, 16}, perm);
  NodeAttrs ln;
  ln.axes = {3};
  const int n = node(g, OpType::kLayerNormalization, "ln",
                     {t, test::add_random_constant(g, "gamma", {16}, 2)}, {1, 6, 6, 16}, ln);
  const int a = node(g, OpType::kAdd, "residual", {n, t}, {1, 6, 6, 16});
  const int sm = node(g, OpType::kSoftmax, "channel_softmax", {c}, {1, 16, 6, 6}, axis_attrs(1));
  g.outputs = {a, sm};
  const std::vector<bool> image = cpu::image_layout_tensors(g);
  CHECK(image[size_t(x)]);
  CHECK(image[size_t(c)]);
  CHECK(image[size_t(r)]);
  CHECK(image[size_t(sm)]);  // a channel softmax of a conv output stays NHWC
  CHECK_FALSE(image[size_t(t)]);
  CHECK_FALSE(image[size_t(n)]);
  CHECK_FALSE(image[size_t(a)]);
  CHECK(compare(g, "cpu:threads=2") <= kTolerance);
}
