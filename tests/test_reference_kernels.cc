// Reference kernels against small cases computed by hand (the expected
// numbers are worked out in the comments), plus a coverage check.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>

#include "graph/shape_inference.h"
#include "kernels/reference/reference_kernels.h"
#include "tests/helpers.h"

using namespace tandem;

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr float kInf = std::numeric_limits<float>::infinity();

struct Input {
  Shape shape;
  std::vector<float> data;
  bool absent = false;
};

struct OpRun {
  Status status;
  std::vector<Shape> shapes;
  std::vector<std::vector<float>> outs;
};

// Builds a one-node graph, infers shapes and runs the reference kernel.
// Outputs start as NaN so an element the kernel forgets shows up.
OpRun run_op(OpType op, const std::vector<Input>& inputs, NodeAttrs attrs = {},
             size_t outputs = 1) {
  OpRun r;
  Graph g;
  Node n;
  n.name = "k";
  n.op = op;
  n.attrs = std::move(attrs);
  std::vector<const float*> in_ptrs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].absent) {
      n.inputs.push_back(-1);
      in_ptrs.push_back(nullptr);
      continue;
    }
    REQUIRE(static_cast<int64_t>(inputs[i].data.size()) == shape_elements(inputs[i].shape));
    n.inputs.push_back(test::add_input(g, "x" + std::to_string(i), inputs[i].shape));
    in_ptrs.push_back(inputs[i].data.data());
  }
  for (size_t k = 0; k < outputs; ++k)
    n.outputs.push_back(test::add_value(g, "y" + std::to_string(k)));
  g.add_node(n);
  r.status = infer_shapes(g);
  if (!r.status.ok()) return r;
  std::vector<float*> out_ptrs;
  for (int id : g.nodes[0].outputs) {
    r.shapes.push_back(g.tensor(id).shape);
    r.outs.emplace_back(static_cast<size_t>(shape_elements(g.tensor(id).shape)), NAN);
  }
  for (auto& o : r.outs) out_ptrs.push_back(o.data());
  r.status = run_reference_node(g, g.nodes[0], in_ptrs.data(), out_ptrs.data());
  return r;
}

// Runs a one-output op and checks its shape and values (relative error).
void expect(OpType op, const std::vector<Input>& inputs, NodeAttrs attrs, const Shape& shape,
            const std::vector<float>& expected, double tol = 1e-6) {
  OpRun r = run_op(op, inputs, std::move(attrs));
  REQUIRE_MESSAGE(r.status.ok(), r.status.to_string());
  CHECK(r.shapes[0] == shape);
  CHECK(test::relative_error(r.outs[0], expected) <= tol);
  if (test::relative_error(r.outs[0], expected) > tol)
    for (size_t i = 0; i < r.outs[0].size(); ++i) MESSAGE(i << ": " << r.outs[0][i]);
}

std::vector<float> iota(size_t n, float first = 1.0f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = first + static_cast<float>(i);
  return v;
}

NodeAttrs conv_attrs(std::vector<int64_t> strides, std::vector<int64_t> pads,
                     std::vector<int64_t> dilations = {}, int64_t group = 1) {
  NodeAttrs a;
  a.strides = std::move(strides);
  a.pads = std::move(pads);
  a.dilations = std::move(dilations);
  a.group = group;
  return a;
}

// Runs a single-channel conv twice: as is (the one-channel direct path) and
// with a second input channel whose weights are zero (the im2col + GEMM path).
void expect_conv_both_paths(const std::vector<float>& x, Shape xs, const std::vector<float>& w,
                            Shape ws, NodeAttrs attrs, const Shape& ys,
                            const std::vector<float>& expected) {
  expect(OpType::kConv, {{xs, x}, {ws, w}}, attrs, ys, expected);
  std::vector<float> x2 = x;
  for (float v : x) x2.push_back(v * 3.0f + 1.0f);  // any values: they meet zero weights
  std::vector<float> w2 = w;
  w2.insert(w2.end(), w.size(), 0.0f);
  Shape xs2 = xs, ws2 = ws;
  xs2[1] = 2;
  ws2[1] = 2;
  // W is [M, C, kh, kw] with M = 1: channel 1's zero block follows channel 0's.
  expect(OpType::kConv, {{xs2, x2}, {ws2, w2}}, attrs, ys, expected);
}

const std::vector<float> kX3 = iota(9);  // [[1,2,3],[4,5,6],[7,8,9]]
const std::vector<float> kOnes9(9, 1.0f);

}  // namespace

TEST_CASE("every op in ops.def has a reference kernel") {
  for (OpType op : kAllOps) {
    CAPTURE(op_name(op));
    CHECK((reference_kernel(op) != nullptr));
  }
}

TEST_CASE("Conv: valid 2x2 kernel, bias") {
  // [1 2;3 4] over [[1,2,3],[4,5,6],[7,8,9]]: 1*1+2*2+3*4+4*5 = 37, then
  // 2+6+15+24 = 47, 4+10+21+32 = 67, 5+12+24+36 = 77.
  expect_conv_both_paths(kX3, {1, 1, 3, 3}, {1, 2, 3, 4}, {1, 1, 2, 2}, {}, {1, 1, 2, 2},
                         {37, 47, 67, 77});
  expect(OpType::kConv, {{{1, 1, 3, 3}, kX3}, {{1, 1, 2, 2}, {1, 2, 3, 4}}, {{1}, {1}}}, {},
         {1, 1, 2, 2}, {38, 48, 68, 78});
  // Absent optional bias (-1) behaves like no bias.
  expect(OpType::kConv, {{{1, 1, 3, 3}, kX3}, {{1, 1, 2, 2}, {1, 2, 3, 4}}, {{1}, {}, true}}, {},
         {1, 1, 2, 2}, {37, 47, 67, 77});
  // Two input channels: channel 1 is all ones with an all-ones kernel (+4).
  std::vector<float> x2 = kX3;
  x2.insert(x2.end(), 9, 1.0f);
  expect(OpType::kConv, {{{1, 2, 3, 3}, x2}, {{1, 2, 2, 2}, {1, 2, 3, 4, 1, 1, 1, 1}}}, {},
         {1, 1, 2, 2}, {41, 51, 71, 81});
}

TEST_CASE("Conv: symmetric and asymmetric pads, strides, dilation") {
  // 3x3 ones with pad 1: each output sums the in-bounds 3x3 neighbourhood.
  expect_conv_both_paths(kX3, {1, 1, 3, 3}, kOnes9, {1, 1, 3, 3}, conv_attrs({}, {1, 1, 1, 1}),
                         {1, 1, 3, 3}, {12, 21, 16, 27, 45, 33, 24, 39, 28});
  // Stride 2 keeps the even positions of the above.
  expect_conv_both_paths(kX3, {1, 1, 3, 3}, kOnes9, {1, 1, 3, 3}, conv_attrs({2, 2}, {1, 1, 1, 1}),
                         {1, 1, 2, 2}, {12, 16, 24, 28});
  // pads [top 0, left 1, bottom 1, right 0], 2x2 ones: window (oy, ox)
  // covers rows oy..oy+1, cols ox-1..ox. (0,0) = 1+4, (0,1) = 1+2+4+5, ...
  expect_conv_both_paths(kX3, {1, 1, 3, 3}, {1, 1, 1, 1}, {1, 1, 2, 2},
                         conv_attrs({}, {0, 1, 1, 0}), {1, 1, 3, 3},
                         {5, 12, 16, 11, 24, 28, 7, 15, 17});
  // Dilation 2: taps x[0][0], x[0][2], x[2][0], x[2][2] = 1*1 + 2*3 + 3*7 + 4*9.
  expect_conv_both_paths(kX3, {1, 1, 3, 3}, {1, 2, 3, 4}, {1, 1, 2, 2}, conv_attrs({}, {}, {2, 2}),
                         {1, 1, 1, 1}, {64});
  // Stride (1, 2) on a 1x5 row with a 1x1 kernel of 2: x[0], x[2], x[4] doubled.
  expect_conv_both_paths(iota(5), {1, 1, 1, 5}, {2}, {1, 1, 1, 1}, conv_attrs({1, 2}, {}),
                         {1, 1, 1, 3}, {2, 6, 10});
}

TEST_CASE("Conv: depthwise, channel multiplier, groups, fused activation") {
  // Depthwise (group 2): channel 0's kernel picks the top-left tap, channel 1's
  // (input 2*x) picks the bottom-right.
  std::vector<float> x = kX3;
  for (float v : kX3) x.push_back(2 * v);
  expect(OpType::kConv, {{{1, 2, 3, 3}, x}, {{2, 1, 2, 2}, {1, 0, 0, 0, 0, 0, 0, 1}}},
         conv_attrs({}, {}, {}, 2), {1, 2, 2, 2}, {1, 2, 4, 5, 10, 12, 16, 18});
  // One input channel, two outputs (multiplier 2, group 1).
  expect(OpType::kConv, {{{1, 1, 3, 3}, kX3}, {{2, 1, 2, 2}, {1, 2, 3, 4, 1, 0, 0, 0}}}, {},
         {1, 2, 2, 2}, {37, 47, 67, 77, 1, 2, 4, 5});
  // Group 2 of two channels each, 1x2 kernels on 1x3 rows:
  // out0 = x0[o] + x0[o+1] + x1[o+1] -> 1+2+5 = 8, 2+3+6 = 11;
  // out1 = x3[o] - x3[o+1] -> -1, -1.
  const std::vector<float> xg = iota(12);
  const std::vector<float> wg = {1, 1, 0, 1, 0, 0, 1, -1};
  expect(OpType::kConv, {{{1, 4, 1, 3}, xg}, {{2, 2, 1, 2}, wg}}, conv_attrs({}, {}, {}, 2),
         {1, 2, 1, 2}, {8, 11, -1, -1});
  NodeAttrs relu = conv_attrs({}, {}, {}, 2);
  relu.activation.min = 0;
  expect(OpType::kConv, {{{1, 4, 1, 3}, xg}, {{2, 2, 1, 2}, wg}}, relu, {1, 2, 1, 2},
         {8, 11, 0, 0});
  NodeAttrs relu6 = relu;
  relu6.activation.max = 6;
  expect(OpType::kConv, {{{1, 4, 1, 3}, xg}, {{2, 2, 1, 2}, wg}}, relu6, {1, 2, 1, 2},
         {6, 6, 0, 0});
  // Pointwise grouped (1x1, group 2): out0 = x0 + x1, out1 = x2 - x3 per pixel.
  expect(OpType::kConv, {{{1, 4, 1, 3}, xg}, {{2, 2, 1, 1}, {1, 1, 1, -1}}},
         conv_attrs({}, {}, {}, 2), {1, 2, 1, 3}, {5, 7, 9, -3, -3, -3});
  // Batch 2: the second image is the first plus 1 per element (+4 per 2x2 window).
  std::vector<float> xb = kX3;
  for (float v : kX3) xb.push_back(v + 1);
  expect(OpType::kConv, {{{2, 1, 3, 3}, xb}, {{1, 1, 2, 2}, {1, 1, 1, 1}}}, {}, {2, 1, 2, 2},
         {12, 16, 24, 28, 16, 20, 28, 32});
}

TEST_CASE("Conv: a large layer spanning several im2col tiles matches a direct loop") {
  // K = 64 * 3 * 3 = 576 and 48 * 48 = 2304 pixels: more than one 2^20-float
  // im2col tile (1820 pixels), so tile edges are exercised.
  const int64_t c = 64, h = 48, w = 48, m = 3;
  std::vector<float> x = test::random_floats(static_cast<size_t>(c * h * w), 7);
  std::vector<float> wt = test::random_floats(static_cast<size_t>(m * c * 9), 8);
  std::vector<float> expected(static_cast<size_t>(m * h * w), 0.0f);
  for (int64_t o = 0; o < m; ++o)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t xx = 0; xx < w; ++xx) {
        double acc = 0;
        for (int64_t ci = 0; ci < c; ++ci)
          for (int64_t ky = 0; ky < 3; ++ky)
            for (int64_t kx = 0; kx < 3; ++kx) {
              int64_t iy = y + ky - 1, ix = xx + kx - 1;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              acc += double(x[static_cast<size_t>((ci * h + iy) * w + ix)]) *
                     wt[static_cast<size_t>(((o * c + ci) * 3 + ky) * 3 + kx)];
            }
        expected[static_cast<size_t>((o * h + y) * w + xx)] = static_cast<float>(acc);
      }
  expect(OpType::kConv, {{{1, c, h, w}, x}, {{m, c, 3, 3}, wt}}, conv_attrs({}, {1, 1, 1, 1}),
         {1, m, h, w}, expected, 1e-5);
}

TEST_CASE("Conv: random geometries agree with a direct loop on every path") {
  // Strides, dilations, asymmetric pads and groups in combination, through the
  // GEMM (several channels per group), pointwise and one-channel-per-group paths.
  std::mt19937 rng(12345);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int tested = 0;
  for (int iter = 0; iter < 300; ++iter) {
    const int64_t groups = pick(1, 3), cg = pick(1, 3), mg = pick(1, 2);
    const int64_t c = groups * cg, m = groups * mg, h = pick(1, 9), w = pick(1, 9);
    const int64_t kh = pick(1, 3), kw = pick(1, 3), sh = pick(1, 3), sw = pick(1, 3);
    const int64_t dh = pick(1, 2), dw = pick(1, 2);
    const std::vector<int64_t> pads = {pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2)};
    const int64_t oh = (h + pads[0] + pads[2] - ((kh - 1) * dh + 1)) / sh + 1;
    const int64_t ow = (w + pads[1] + pads[3] - ((kw - 1) * dw + 1)) / sw + 1;
    if (h + pads[0] + pads[2] < (kh - 1) * dh + 1 || w + pads[1] + pads[3] < (kw - 1) * dw + 1)
      continue;
    const int64_t batch = pick(1, 2);
    std::vector<float> x = test::random_floats(static_cast<size_t>(batch * c * h * w), iter);
    std::vector<float> wt = test::random_floats(static_cast<size_t>(m * cg * kh * kw), iter + 1000);
    std::vector<float> bias = test::random_floats(static_cast<size_t>(m), iter + 2000);
    std::vector<float> expected;
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t o = 0; o < m; ++o)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t xx = 0; xx < ow; ++xx) {
            double acc = bias[static_cast<size_t>(o)];
            const int64_t grp = o / mg;
            for (int64_t ci = 0; ci < cg; ++ci)
              for (int64_t ky = 0; ky < kh; ++ky)
                for (int64_t kx = 0; kx < kw; ++kx) {
                  const int64_t iy = y * sh - pads[0] + ky * dh, ix = xx * sw - pads[1] + kx * dw;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                  acc +=
                      double(x[static_cast<size_t>(((b * c + grp * cg + ci) * h + iy) * w + ix)]) *
                      wt[static_cast<size_t>(((o * cg + ci) * kh + ky) * kw + kx)];
                }
            expected.push_back(static_cast<float>(acc));
          }
    CAPTURE(iter);
    expect(OpType::kConv, {{{batch, c, h, w}, x}, {{m, cg, kh, kw}, wt}, {{m}, bias}},
           conv_attrs({sh, sw}, pads, {dh, dw}, groups), {batch, m, oh, ow}, expected, 1e-5);
    ++tested;
  }
  CHECK(tested > 200);
}

TEST_CASE("BatchNormalization") {
  // eps 0. ch0: (x - 1) / 2 * 2 + 0 = x - 1; ch1: (x - 3) / 1 * 1 + 1 = x - 2.
  NodeAttrs a;
  a.epsilon = 0;
  expect(OpType::kBatchNormalization,
         {{{1, 2, 1, 2}, {1, 2, 3, 4}}, {{2}, {2, 1}}, {{2}, {0, 1}}, {{2}, {1, 3}}, {{2}, {4, 1}}},
         a, {1, 2, 1, 2}, {0, 1, 1, 2});
  // eps 1: ch0 scale 1 / sqrt(3 + 1) = 0.5.
  a.epsilon = 1;
  expect(OpType::kBatchNormalization,
         {{{2, 1, 2}, {2, 4, 6, 8}}, {{1}, {1}}, {{1}, {0}}, {{1}, {0}}, {{1}, {3}}}, a, {2, 1, 2},
         {1, 2, 3, 4});
}

TEST_CASE("unary activations") {
  expect(OpType::kRelu, {{{3}, {-1, 0, 2}}}, {}, {3}, {0, 0, 2});
  NodeAttrs clip;
  clip.clip_min = -1;
  clip.clip_max = 6;
  expect(OpType::kClip, {{{3}, {-3, 0.5f, 7}}}, clip, {3}, {-1, 0.5f, 6});
  // sigmoid(ln 3) = 1 / (1 + 1/3) = 0.75.
  expect(OpType::kSigmoid, {{{2}, {0, std::log(3.0f)}}}, {}, {2}, {0.5f, 0.75f});
  NodeAttrs hs;
  hs.alpha = 0.2f;
  hs.beta = 0.5f;
  expect(OpType::kHardSigmoid, {{{4}, {-3, 0, 1, 3}}}, hs, {4}, {0, 0.5f, 0.7f, 1});
  // x * clamp(x/6 + 1/2, 0, 1): -1.5 * 0.25, 1.5 * 0.75.
  expect(OpType::kHardSwish, {{{5}, {-4, -1.5f, 0, 1.5f, 4}}}, {}, {5}, {0, -0.375f, 0, 1.125f, 4});
  // tanh(ln 2) = (4 - 1) / (4 + 1).
  expect(OpType::kTanh, {{{2}, {0, std::log(2.0f)}}}, {}, {2}, {0, 0.6f});
  NodeAttrs leaky;
  leaky.alpha = 0.1f;
  expect(OpType::kLeakyRelu, {{{2}, {-2, 3}}}, leaky, {2}, {-0.2f, 3});
  expect(OpType::kIdentity, {{{2, 2}, {1, 2, 3, 4}}}, {}, {2, 2}, {1, 2, 3, 4});
}

TEST_CASE("Erf is std::erf per element, in place too") {
  std::vector<float> x = {-4, -1.5f, -0.25f, 0, 1e-3f, 0.5f, 1, 2.5f, 9, -NAN};
  OpRun r = run_op(OpType::kErf, {{{2, 5}, x}}, {});
  REQUIRE_MESSAGE(r.status.ok(), r.status.to_string());
  CHECK(r.shapes[0] == Shape{2, 5});
  for (size_t i = 0; i + 1 < x.size(); ++i) {
    CAPTURE(x[i]);
    CHECK(r.outs[0][i] == std::erf(x[i]));  // bit for bit
  }
  CHECK(std::isnan(r.outs[0].back()));
  CHECK(r.outs[0][0] == -1.0f);  // erf saturates at +-1 in float
  CHECK(r.outs[0][8] == 1.0f);

  Graph g;  // in place: the executor may hand the same buffer in and out
  int in = test::add_input(g, "x", {4});
  test::add_simple_node(g, OpType::kErf, "erf", {in});
  REQUIRE(infer_shapes(g).ok());
  std::vector<float> buf = {-1, 0, 0.5f, 2};
  const float* ins[] = {buf.data()};
  float* outs[] = {buf.data()};
  REQUIRE(run_reference_node(g, g.nodes[0], ins, outs).ok());
  CHECK(buf == std::vector<float>{std::erf(-1.0f), 0.0f, std::erf(0.5f), std::erf(2.0f)});
}

TEST_CASE("binary ops broadcast") {
  const std::vector<float> a = iota(6);  // [[1,2,3],[4,5,6]]
  expect(OpType::kAdd, {{{2, 3}, a}, {{3}, {10, 20, 30}}}, {}, {2, 3}, {11, 22, 33, 14, 25, 36});
  expect(OpType::kSub, {{{2, 3}, a}, {{2, 1}, {10, 20}}}, {}, {2, 3}, {-9, -8, -7, -16, -15, -14});
  expect(OpType::kMul, {{{2, 1, 1}, {1, 2}}, {{1, 3}, {1, 2, 3}}}, {}, {2, 1, 3},
         {1, 2, 3, 2, 4, 6});
  expect(OpType::kDiv, {{{}, {12}}, {{4}, {1, 2, 3, 4}}}, {}, {4}, {12, 6, 4, 3});
  expect(OpType::kDiv, {{{2, 2}, {2, 4, 6, 8}}, {{1}, {2}}}, {}, {2, 2}, {1, 2, 3, 4});
  // Both sides broadcast: out[i][j][k] = a[i][0][k] + b[0][j][0].
  expect(OpType::kAdd, {{{2, 1, 3}, a}, {{1, 2, 1}, {10, 20}}}, {}, {2, 2, 3},
         {11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26});
  // Per-channel bias on NCHW: [1,2,2,2] + [2,1,1].
  expect(OpType::kAdd, {{{1, 2, 2, 2}, iota(8)}, {{2, 1, 1}, {100, 200}}}, {}, {1, 2, 2, 2},
         {101, 102, 103, 104, 205, 206, 207, 208});
  NodeAttrs act;
  act.activation.min = 0;
  act.activation.max = 6;
  expect(OpType::kAdd, {{{3}, {-1, 2, 3}}, {{3}, {-1, 5, 1}}}, act, {3}, {0, 6, 4});
}

namespace {
NodeAttrs pool_attrs(std::vector<int64_t> k, std::vector<int64_t> s, std::vector<int64_t> pads,
                     bool ceil_mode = false, bool include_pad = false) {
  NodeAttrs a;
  a.kernel_shape = std::move(k);
  a.strides = std::move(s);
  a.pads = std::move(pads);
  a.ceil_mode = ceil_mode;
  a.count_include_pad = include_pad;
  return a;
}
}  // namespace

TEST_CASE("MaxPool: strides, ceil_mode, asymmetric pads, dilation") {
  expect(OpType::kMaxPool, {{{1, 1, 4, 4}, iota(16)}}, pool_attrs({2, 2}, {2, 2}, {}), {1, 1, 2, 2},
         {6, 8, 14, 16});
  // ceil_mode on 3x3: windows at 0 and 2, the second clipped to the input.
  expect(OpType::kMaxPool, {{{1, 1, 3, 3}, kX3}}, pool_attrs({2, 2}, {2, 2}, {}, true),
         {1, 1, 2, 2}, {5, 6, 8, 9});
  // pads top/left 1: windows rows {-1,0},{1,2} x cols {-1,0},{1,2}.
  expect(OpType::kMaxPool, {{{1, 1, 3, 3}, kX3}}, pool_attrs({2, 2}, {2, 2}, {1, 1, 0, 0}),
         {1, 1, 2, 2}, {1, 3, 7, 9});
  // Negative inputs: padding must not win the max.
  std::vector<float> neg(9);
  for (size_t i = 0; i < 9; ++i) neg[i] = -kX3[i];
  expect(OpType::kMaxPool, {{{1, 1, 3, 3}, neg}}, pool_attrs({2, 2}, {2, 2}, {1, 1, 0, 0}),
         {1, 1, 2, 2}, {-1, -2, -4, -5});
  // Dilation 2 skips the centre: max of the corners 9, 1, 1, 2.
  NodeAttrs dil = pool_attrs({2, 2}, {1, 1}, {});
  dil.dilations = {2, 2};
  expect(OpType::kMaxPool, {{{1, 1, 3, 3}, {9, 1, 1, 1, 100, 1, 1, 1, 2}}}, dil, {1, 1, 1, 1}, {9});
}

TEST_CASE("AveragePool: count_include_pad, ceil_mode overhang, asymmetric pads") {
  // ceil_mode on 3x3: (1+2+4+5)/4, (3+6)/2, (7+8)/2, 9/1. The overhang past
  // the input is not padding, so count_include_pad gives the same.
  for (bool include : {false, true})
    expect(OpType::kAveragePool, {{{1, 1, 3, 3}, kX3}},
           pool_attrs({2, 2}, {2, 2}, {}, true, include), {1, 1, 2, 2}, {3, 4.5f, 7.5f, 9});
  // 3x3 window, pad 1 on a 2x2 input: every window holds all four inputs
  // (sum 10) and five pad cells.
  expect(OpType::kAveragePool, {{{1, 1, 2, 2}, {1, 2, 3, 4}}},
         pool_attrs({3, 3}, {1, 1}, {1, 1, 1, 1}, false, true), {1, 1, 2, 2},
         {10.f / 9, 10.f / 9, 10.f / 9, 10.f / 9});
  expect(OpType::kAveragePool, {{{1, 1, 2, 2}, {1, 2, 3, 4}}},
         pool_attrs({3, 3}, {1, 1}, {1, 1, 1, 1}, false, false), {1, 1, 2, 2},
         {2.5f, 2.5f, 2.5f, 2.5f});
  // pads top/left 1 on 3x3, 2x2 stride 2: windows hold {1}, {2,3}, {4,7},
  // {5,6,8,9} with 3, 2, 2, 0 pad cells.
  expect(OpType::kAveragePool, {{{1, 1, 3, 3}, kX3}},
         pool_attrs({2, 2}, {2, 2}, {1, 1, 0, 0}, false, true), {1, 1, 2, 2},
         {0.25f, 1.25f, 2.75f, 7});
  expect(OpType::kAveragePool, {{{1, 1, 3, 3}, kX3}},
         pool_attrs({2, 2}, {2, 2}, {1, 1, 0, 0}, false, false), {1, 1, 2, 2}, {1, 2.5f, 5.5f, 7});
  // Row [1,2,3,4], kernel 1x3, stride 2, pads left/right 1, ceil_mode: windows
  // cols {-1..1}, {1..3}, {3..5}; the last holds 4, one pad cell (4) and one
  // overhang cell (5) that is never counted.
  expect(OpType::kAveragePool, {{{1, 1, 1, 4}, {1, 2, 3, 4}}},
         pool_attrs({1, 3}, {1, 2}, {0, 1, 0, 1}, true, true), {1, 1, 1, 3}, {1, 3, 2});
  expect(OpType::kAveragePool, {{{1, 1, 1, 4}, {1, 2, 3, 4}}},
         pool_attrs({1, 3}, {1, 2}, {0, 1, 0, 1}, true, false), {1, 1, 1, 3}, {1.5f, 3, 4});
}

TEST_CASE("global pools") {
  const std::vector<float> x = {1, 2, 3, 4, -1, -2, -3, -5};
  expect(OpType::kGlobalAveragePool, {{{1, 2, 2, 2}, x}}, {}, {1, 2, 1, 1}, {2.5f, -2.75f});
  expect(OpType::kGlobalMaxPool, {{{1, 2, 2, 2}, x}}, {}, {1, 2, 1, 1}, {4, -1});
  expect(OpType::kGlobalAveragePool, {{{2, 1, 2}, {1, 3, 5, 9}}}, {}, {2, 1, 1}, {2, 7});
}

TEST_CASE("ReduceMean") {
  const std::vector<float> x = iota(6);  // [[1,2,3],[4,5,6]]
  NodeAttrs a;
  a.axes = {1};
  expect(OpType::kReduceMean, {{{2, 3}, x}}, a, {2, 1}, {2, 5});
  a.axes = {0};
  a.keepdims = false;
  expect(OpType::kReduceMean, {{{2, 3}, x}}, a, {3}, {2.5f, 3.5f, 4.5f});
  a.axes = {};
  expect(OpType::kReduceMean, {{{2, 3}, x}}, a, {}, {3.5f});
  // Axes 0 and 2 of [2,2,2] = 1..8: j = 0 averages 1,2,5,6; j = 1 averages 3,4,7,8.
  a.axes = {0, -1};
  a.keepdims = true;
  expect(OpType::kReduceMean, {{{2, 2, 2}, iota(8)}}, a, {1, 2, 1}, {3.5f, 5.5f});
  // The GlobalAveragePool-like case: spatial axes of NCHW.
  a.axes = {2, 3};
  expect(OpType::kReduceMean, {{{1, 2, 1, 2}, {1, 2, 3, 4}}}, a, {1, 2, 1, 1}, {1.5f, 3.5f});
}

TEST_CASE("Concat and Split") {
  NodeAttrs a;
  a.axis = 1;
  expect(OpType::kConcat, {{{2, 1}, {1, 2}}, {{2, 2}, {3, 4, 5, 6}}}, a, {2, 3},
         {1, 3, 4, 2, 5, 6});
  a.axis = -2;
  expect(OpType::kConcat, {{{1, 2}, {1, 2}}, {{2, 2}, {3, 4, 5, 6}}}, a, {3, 2},
         {1, 2, 3, 4, 5, 6});
  a.axis = 1;
  a.split = {1, 2};
  OpRun r = run_op(OpType::kSplit, {{{2, 3}, iota(6)}}, a, 2);
  REQUIRE(r.status.ok());
  CHECK(r.outs[0] == std::vector<float>{1, 4});
  CHECK(r.outs[1] == std::vector<float>{2, 3, 5, 6});
  a.axis = 0;
  a.split = {};
  r = run_op(OpType::kSplit, {{{3, 2}, iota(6)}}, a, 3);
  REQUIRE(r.status.ok());
  CHECK(r.outs[2] == std::vector<float>{5, 6});
}

TEST_CASE("Slice: positive and negative steps, clamped ends") {
  const std::vector<float> x = iota(12, 0);  // [3, 4]: x[r][c] = 4r + c
  NodeAttrs a;
  a.starts = {1};
  a.ends = {kInt64Max};
  a.axes = {1};
  a.steps = {2};
  expect(OpType::kSlice, {{{3, 4}, x}}, a, {3, 2}, {1, 3, 5, 7, 9, 11});
  // Rows 2, 0 and cols 3, 1: x[2][3], x[2][1], x[0][3], x[0][1].
  a.starts = {-1, 3};
  a.ends = {kInt64Min, 0};
  a.axes = {0, 1};
  a.steps = {-2, -2};
  expect(OpType::kSlice, {{{3, 4}, x}}, a, {2, 2}, {11, 9, 3, 1});
  // Full reverse of the last axis.
  a.starts = {-1};
  a.ends = {kInt64Min};
  a.axes = {-1};
  a.steps = {-1};
  expect(OpType::kSlice, {{{2, 3}, iota(6)}}, a, {2, 3}, {3, 2, 1, 6, 5, 4});
  // Default axes and steps; end -1 drops the last row.
  a = {};
  a.starts = {0};
  a.ends = {-1};
  expect(OpType::kSlice, {{{3, 4}, x}}, a, {2, 4}, iota(8, 0));
}

TEST_CASE("Transpose, Reshape, Flatten") {
  expect(OpType::kTranspose, {{{2, 3}, iota(6)}}, {}, {3, 2}, {1, 4, 2, 5, 3, 6});
  NodeAttrs a;
  a.perm = {1, 2, 0};  // out[j][k][i] = x[i][j][k]
  expect(OpType::kTranspose, {{{2, 1, 3}, iota(6)}}, a, {1, 3, 2}, {1, 4, 2, 5, 3, 6});
  a.perm = {0, 2, 3, 1};  // NCHW -> NHWC of 1x2x1x2
  expect(OpType::kTranspose, {{{1, 2, 1, 2}, {1, 2, 3, 4}}}, a, {1, 1, 2, 2}, {1, 3, 2, 4});
  a = {};
  a.shape = {0, -1};
  expect(OpType::kReshape, {{{2, 3, 1}, iota(6)}}, a, {2, 3}, iota(6));
  a = {};
  a.axis = 1;
  expect(OpType::kFlatten, {{{2, 1, 2}, iota(4)}}, a, {2, 2}, iota(4));
}

TEST_CASE("ReduceSum: suffix and strided axes, kept dims or not") {
  NodeAttrs a;
  a.axes = {1};
  expect(OpType::kReduceSum, {{{2, 3}, iota(6)}}, a, {2, 1}, {6, 15});
  a.axes = {0};
  a.keepdims = false;
  expect(OpType::kReduceSum, {{{2, 3}, iota(6)}}, a, {3}, {5, 7, 9});
  a.axes = {};  // all axes
  expect(OpType::kReduceSum, {{{2, 3}, iota(6)}}, a, {}, {21});
}

TEST_CASE("Gather: scalar index drops the axis, index tensors replace it") {
  NodeAttrs a;
  a.axis = 1;
  a.indices = {0};  // ViT's class token x[:, 0] of [1, 3, 2]
  expect(OpType::kGather, {{{1, 3, 2}, iota(6)}}, a, {1, 2}, {1, 2});
  a.indices = {2, 0, 2, 1};
  a.indices_shape = {2, 2};
  expect(OpType::kGather, {{{2, 3}, iota(6)}}, a, {2, 2, 2}, {3, 1, 3, 2, 6, 4, 6, 5});
  a = {};
  a.axis = 0;
  a.indices = {1, 1};
  a.indices_shape = {2};
  expect(OpType::kGather, {{{2, 2}, iota(4)}}, a, {2, 2}, {3, 4, 3, 4});
  a.indices = {2};  // out of range: shape inference refuses it, naming the node
  a.indices_shape = {1};
  OpRun r = run_op(OpType::kGather, {{{2, 2}, iota(4)}}, a);
  CHECK_FALSE(r.status.ok());
  CHECK(r.status.message().find("out of range") != std::string::npos);
}

TEST_CASE("Gemm: transposes, alpha/beta, C broadcast, activation") {
  const std::vector<float> a = {1, 2, 3, 4};
  const std::vector<float> b = {5, 6, 7, 8};
  // AB = [[19, 22], [43, 50]].
  expect(OpType::kGemm, {{{2, 2}, a}, {{2, 2}, b}}, {}, {2, 2}, {19, 22, 43, 50});
  NodeAttrs t;
  t.trans_b = true;  // A B^T = [[17, 23], [39, 53]]
  expect(OpType::kGemm, {{{2, 2}, a}, {{2, 2}, b}}, t, {2, 2}, {17, 23, 39, 53});
  t = {};
  t.trans_a = true;  // A^T B = [[26, 30], [38, 44]]
  expect(OpType::kGemm, {{{2, 2}, a}, {{2, 2}, b}}, t, {2, 2}, {26, 30, 38, 44});
  t.trans_b = true;  // A^T B^T = (B A)^T: BA = [[23, 34], [31, 46]]
  expect(OpType::kGemm, {{{2, 2}, a}, {{2, 2}, b}}, t, {2, 2}, {23, 31, 34, 46});
  NodeAttrs ab;
  ab.alpha = 2;
  ab.beta = 0.5f;  // 2 AB + 0.5 [10, 20] per row
  expect(OpType::kGemm, {{{2, 2}, a}, {{2, 2}, b}, {{2}, {10, 20}}}, ab, {2, 2}, {43, 54, 91, 110});
  expect(OpType::kGemm, {{{2, 2}, a}, {{2, 2}, b}, {{2, 1}, {1, 2}}}, {}, {2, 2}, {20, 23, 45, 52});
  expect(OpType::kGemm, {{{2, 2}, a}, {{2, 2}, b}, {{}, {1}}}, {}, {2, 2}, {20, 23, 44, 51});
  expect(OpType::kGemm, {{{2, 2}, a}, {{2, 2}, b}, {{2}, {}, true}}, {}, {2, 2}, {19, 22, 43, 50});
  NodeAttrs act;
  act.activation.max = 30;
  expect(OpType::kGemm, {{{2, 2}, a}, {{2, 2}, b}}, act, {2, 2}, {19, 22, 30, 30});
  // A fully connected layer: [1, 3] x [2, 3]^T.
  t = {};
  t.trans_b = true;
  expect(OpType::kGemm, {{{1, 3}, {1, 2, 3}}, {{2, 3}, {1, 0, 1, 0, 1, 0}}, {{2}, {0.5f, 0}}}, t,
         {1, 2}, {4.5f, 2});
}

TEST_CASE("MatMul: 2-D, batched broadcast, 1-D operands, activation") {
  expect(OpType::kMatMul, {{{2, 2}, {1, 2, 3, 4}}, {{2, 2}, {5, 6, 7, 8}}}, {}, {2, 2},
         {19, 22, 43, 50});
  // A: two 1x2 rows [1,2], [3,4]; B: three 2x1 columns [1,0], [0,1], [1,1].
  // out[i][j] = A[i] . B[j].
  expect(OpType::kMatMul, {{{2, 1, 1, 2}, {1, 2, 3, 4}}, {{3, 2, 1}, {1, 0, 0, 1, 1, 1}}}, {},
         {2, 3, 1, 1}, {1, 2, 3, 3, 4, 7});
  // [2] x [2, 3]: [1, 2] . columns of [[1,2,3],[4,5,6]].
  expect(OpType::kMatMul, {{{2}, {1, 2}}, {{2, 3}, iota(6)}}, {}, {3}, {9, 12, 15});
  // [2, 2, 3] x [3]: each row dotted with [1, 0, -1].
  expect(OpType::kMatMul, {{{2, 2, 3}, iota(12)}, {{3}, {1, 0, -1}}}, {}, {2, 2}, {-2, -2, -2, -2});
  NodeAttrs act;
  act.activation.min = 20;
  expect(OpType::kMatMul, {{{2, 2}, {1, 2, 3, 4}}, {{2, 2}, {5, 6, 7, 8}}}, act, {2, 2},
         {20, 22, 43, 50});
}

TEST_CASE("Softmax") {
  // exp: 1, 2, 5 -> / 8.
  NodeAttrs a;
  a.axis = -1;
  expect(OpType::kSoftmax, {{{1, 3}, {0, std::log(2.0f), std::log(5.0f)}}}, a, {1, 3},
         {0.125f, 0.25f, 0.625f});
  // Axis 0 of [[0, 0], [ln 3, -ln 3]]: columns (1, 3) / 4 and (1, 1/3) / (4/3).
  a.axis = 0;
  expect(OpType::kSoftmax, {{{2, 2}, {0, 0, std::log(3.0f), -std::log(3.0f)}}}, a, {2, 2},
         {0.25f, 0.75f, 0.75f, 0.25f});
  // Large logits must not overflow.
  a.axis = 1;
  expect(OpType::kSoftmax, {{{1, 2}, {1000, 1000}}}, a, {1, 2}, {0.5f, 0.5f});
}

TEST_CASE("Pad: constant, reflect, edge, negative") {
  NodeAttrs a;
  a.pads = {0, 2, 0, 1};  // [1, 3] -> 2 before, 1 after on the last axis
  a.pad_value = 9;
  expect(OpType::kPad, {{{1, 3}, {1, 2, 3}}}, a, {1, 6}, {9, 9, 1, 2, 3, 9});
  a.pad_mode = PadMode::kReflect;
  expect(OpType::kPad, {{{1, 3}, {1, 2, 3}}}, a, {1, 6}, {3, 2, 1, 2, 3, 2});
  a.pad_mode = PadMode::kEdge;
  expect(OpType::kPad, {{{1, 3}, {1, 2, 3}}}, a, {1, 6}, {1, 1, 1, 2, 3, 3});
  a = {};
  a.pads = {1, 0, 0, 1};  // one row on top, one column on the right
  expect(OpType::kPad, {{{2, 2}, {1, 2, 3, 4}}}, a, {3, 3}, {0, 0, 0, 1, 2, 0, 3, 4, 0});
  // Reflect both dims: rows map -1 -> 1, 2 -> 0; a row [a, b, c] -> [b, a, b, c, b].
  a.pads = {1, 1, 1, 1};
  a.pad_mode = PadMode::kReflect;
  expect(OpType::kPad, {{{2, 3}, iota(6)}}, a, {4, 5},
         {5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 2, 1, 2, 3, 2});
  a.pad_mode = PadMode::kEdge;
  expect(OpType::kPad, {{{2, 3}, iota(6)}}, a, {4, 5},
         {1, 1, 2, 3, 3, 1, 1, 2, 3, 3, 4, 4, 5, 6, 6, 4, 4, 5, 6, 6});
  // A negative begin crops.
  a = {};
  a.pads = {0, -1, 0, 1};
  expect(OpType::kPad, {{{1, 4}, {1, 2, 3, 4}}}, a, {1, 4}, {2, 3, 4, 0});
}

TEST_CASE("run_reference_node reports a missing buffer") {
  Graph g;
  int x = test::add_input(g, "x", {2});
  test::add_simple_node(g, OpType::kRelu, "r", {x});
  REQUIRE(infer_shapes(g).ok());
  const float* in[] = {nullptr};
  float y[2];
  float* out[] = {y};
  Status st = run_reference_node(g, g.nodes[0], in, out);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("'r'") != std::string::npos);
}

TEST_CASE("check_reference_node catches shapes changed after inference") {
  Graph g;
  int x = test::add_input(g, "x", {1, 1, 4, 4});
  NodeAttrs a;
  a.kernel_shape = {2, 2};
  a.strides = {2, 2};
  int y = test::add_simple_node(g, OpType::kMaxPool, "pool", {x}, a);
  REQUIRE(infer_shapes(g).ok());
  CHECK(check_reference_node(g, g.nodes[0]).ok());
  g.tensor(y).shape = {1, 1, 3, 3};  // a kernel trusting this would write past 2x2
  Status st = check_reference_node(g, g.nodes[0]);
  CHECK(st.code() == StatusCode::kInvalidModel);
  CHECK(st.message().find("'pool'") != std::string::npos);
}

namespace {

struct ResizeCase {
  const char* name;
  bool from_sizes;
  ResizeMode mode;
  ResizeCoordinate coordinate;
  ResizeNearest nearest;
  Shape in, out;
  std::vector<float> scales, expected;
};

// tests/tools/gen_resize_cases.py: ONNX's numpy Resize over x[i] = ((7 i) % 13) / 2 - 3.
const ResizeCase kResizeCases[] = {
#include "tests/resize_cases.inc"
};

NodeAttrs resize_attrs(ResizeMode mode, ResizeCoordinate coord, ResizeNearest nearest,
                       std::vector<float> scales, Shape sizes) {
  NodeAttrs a;
  a.resize_mode = mode;
  a.resize_coordinate = coord;
  a.resize_nearest = nearest;
  a.scales = std::move(scales);
  a.sizes = std::move(sizes);
  return a;
}

}  // namespace

TEST_CASE("Resize matches ONNX's numpy Resize for every mode, transform and rounding") {
  CHECK(std::size(kResizeCases) >= 100);
  for (const ResizeCase& c : kResizeCases) {
    const std::string name = c.name;
    CAPTURE(name);
    std::vector<float> x(size_t(shape_elements(c.in)));
    for (size_t i = 0; i < x.size(); ++i) x[i] = float((i * 7) % 13) * 0.5f - 3.0f;
    NodeAttrs a = resize_attrs(c.mode, c.coordinate, c.nearest, c.scales, c.out);
    a.resize_from_sizes = c.from_sizes;
    expect(OpType::kResize, {{c.in, x}}, a, c.out, c.expected);
  }
}

TEST_CASE("Resize: tf_half_pixel_for_nearest and half_pixel_symmetric, worked by hand") {
  // tf_half_pixel_for_nearest, scale 2: x = (o + 0.5) / 2 = .25 .75 1.25 1.75 2.25 2.75,
  // rounded (prefer floor) 0 1 1 2 2 3, clamped to 2.
  expect(OpType::kResize, {{{1, 1, 1, 3}, {1, 2, 3}}},
         resize_attrs(ResizeMode::kNearest, ResizeCoordinate::kTfHalfPixelForNearest,
                      ResizeNearest::kRoundPreferFloor, {1, 1, 1, 2}, {1, 1, 1, 6}),
         {1, 1, 1, 6}, {1, 2, 2, 3, 3, 3});
  // half_pixel_symmetric, scale 0.6 of 4 -> floor(2.4) = 2: adjustment 2 / 2.4, offset
  // 2 * (1 - 2 / 2.4) = 1/3; x = 1/3 + (o + .5) / .6 - .5 = 2/3, 7/3; values 3 x: 2, 7.
  expect(OpType::kResize, {{{1, 1, 1, 4}, {0, 3, 6, 9}}},
         resize_attrs(ResizeMode::kLinear, ResizeCoordinate::kHalfPixelSymmetric,
                      ResizeNearest::kRoundPreferFloor, {1, 1, 1, 0.6f}, {1, 1, 1, 2}),
         {1, 1, 1, 2}, {2, 7}, 1e-6);
  // The same with half_pixel: x = 1/3, 2 -> 1, 6.
  expect(OpType::kResize, {{{1, 1, 1, 4}, {0, 3, 6, 9}}},
         resize_attrs(ResizeMode::kLinear, ResizeCoordinate::kHalfPixel,
                      ResizeNearest::kRoundPreferFloor, {1, 1, 1, 0.6f}, {1, 1, 1, 2}),
         {1, 1, 1, 2}, {1, 6}, 1e-6);
}

TEST_CASE("Resize: shape inference refuses what the kernels cannot do, naming the node") {
  const NodeAttrs ok = resize_attrs(ResizeMode::kLinear, ResizeCoordinate::kHalfPixel,
                                    ResizeNearest::kFloor, {1, 1, 2, 2}, {1, 2, 4, 4});
  CHECK(run_op(OpType::kResize, {{{1, 2, 2, 2}, std::vector<float>(8, 1.0f)}}, ok).status.ok());
  NodeAttrs channels = ok;
  channels.sizes = {1, 4, 4, 4};
  OpRun r = run_op(OpType::kResize, {{{1, 2, 2, 2}, std::vector<float>(8, 1.0f)}}, channels);
  CHECK(r.status.code() == StatusCode::kInvalidModel);
  CHECK(r.status.message().find("'k'") != std::string::npos);
  CHECK(r.status.message().find("only H and W") != std::string::npos);
  r = run_op(OpType::kResize, {{{2, 2, 2}, std::vector<float>(8, 1.0f)}}, ok);
  CHECK(r.status.message().find("4-D") != std::string::npos);
  NodeAttrs no_scales = ok;
  no_scales.scales = {1, 1, 0, 2};
  r = run_op(OpType::kResize, {{{1, 2, 2, 2}, std::vector<float>(8, 1.0f)}}, no_scales);
  CHECK(r.status.message().find("positive") != std::string::npos);
}
