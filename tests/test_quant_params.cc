// The parameters `tandem quantize` chooses (graph/quant_params.h): activation
// ranges, per-channel symmetric weights, int32 biases at sx * sw[m], and that a
// Conv rewritten to QDQ form with them is what pass_fuse_qdq turns into QConv.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <vector>

#include "graph/passes.h"
#include "graph/quant_params.h"
#include "graph/quant_rewrite.h"
#include "graph/shape_inference.h"
#include "kernels/reference/reference_kernels.h"

using namespace tandem;
using namespace tandem::quant;

TEST_CASE("MinMax: running range over calls, NaN ignored") {
  MinMax mm;
  const float a[] = {0.5f, -1.0f, NAN};
  const float b[] = {3.0f, 2.0f};
  mm.observe(a, 3);
  mm.observe(b, 2);
  CHECK(mm.seen);
  CHECK(mm.min == -1.0f);
  CHECK(mm.max == 3.0f);
}

TEST_CASE("Histogram: the percentile range drops outliers, 100 % keeps min/max") {
  std::vector<float> v;
  for (int i = 0; i < 10000; ++i) v.push_back(float(i) / 10000.0f);  // uniform [0, 1)
  v.push_back(100.0f);                                               // one outlier
  v.push_back(-50.0f);
  MinMax mm;
  mm.observe(v.data(), v.size());
  Histogram h(mm, 2048);
  h.observe(v.data(), v.size());
  CHECK(h.total == v.size());
  const MinMax all = h.percentile_range(100.0);
  CHECK(all.min == -50.0f);
  CHECK(all.max == 100.0f);
  const MinMax p = h.percentile_range(99.9);  // 5 values cut per tail: both outliers go
  const float bin = 150.0f / 2048.0f;
  CHECK(p.min >= -bin);
  CHECK(p.min <= 0.0f);
  CHECK(p.max >= 1.0f - bin);
  CHECK(p.max <= 1.0f + bin);
  CHECK_FALSE(Histogram().percentile_range(99.0).seen);
}

TEST_CASE("activation_quant: the range maps onto [-128, 127] and 0 is exact") {
  const Quantization q = activation_quant(-1.0f, 3.0f);
  REQUIRE(q.per_tensor());
  CHECK(q.scale[0] == doctest::Approx(4.0f / 255.0f));
  CHECK(q.zero_point[0] == -64);  // rne(-128 + 1 / (4/255)) = rne(-64.25)
  // Post-Relu range: zero point at the bottom.
  const Quantization r = activation_quant(0.0f, 6.0f);
  CHECK(r.zero_point[0] == -128);
  // A strictly positive range is widened to contain 0.
  CHECK(activation_quant(2.0f, 5.1f).zero_point[0] == -128);
  CHECK(activation_quant(2.0f, 5.1f).scale[0] == doctest::Approx(5.1f / 255.0f));
  // Zero width: scale 1, zero point inside the range.
  CHECK(activation_quant(0.0f, 0.0f).scale[0] == 1.0f);
}

TEST_CASE("quantize_weights: per output channel, max|w| -> 127, zero channel scale 1") {
  const std::vector<float> w = {0.5f, -1.0f, 0.25f, 0.0f, 0.0f, 0.0f, 2.0f, 1.0f, -0.0079f};
  const QuantizedWeights q = quantize_weights(w.data(), 3, 3);
  REQUIRE(q.quant.scale.size() == 3);
  CHECK(q.quant.axis == 0);
  CHECK(q.quant.scale[0] == doctest::Approx(1.0f / 127.0f));
  CHECK(q.quant.scale[1] == 1.0f);
  CHECK(q.quant.scale[2] == doctest::Approx(2.0f / 127.0f));
  CHECK(q.values == std::vector<int8_t>{64, -127, 32, 0, 0, 0, 127, 64, -1});  // 63.5 -> 64
  for (int32_t z : q.quant.zero_point) CHECK(z == 0);
}

TEST_CASE("quantize_bias: int32 at sx * sw[m]") {
  const std::vector<float> b = {1.0f, -0.5f};
  Quantization w{{0.1f, 0.02f}, {0, 0}, 0};
  const QuantizedBias q = quantize_bias(b.data(), 2, 0.5f, w);
  CHECK(q.quant.scale[0] == 0.5f * 0.1f);
  CHECK(q.quant.scale[1] == 0.5f * 0.02f);
  CHECK(q.values == std::vector<int32_t>{20, -50});
}

namespace {

int tensor(Graph& g, const char* name, Shape s, DType dt = DType::kFloat32, Quantization q = {}) {
  Tensor t;
  t.name = name;
  t.dtype = dt;
  t.shape = std::move(s);
  t.quant = std::move(q);
  return g.add_tensor(std::move(t));
}

void node(Graph& g, const char* name, OpType op, std::vector<int> in, int out, NodeAttrs a = {}) {
  Node n;
  n.name = name;
  n.op = op;
  n.inputs = std::move(in);
  n.outputs = {out};
  n.attrs = std::move(a);
  g.add_node(std::move(n));
}

// A 3x3 stride-1 conv padded to keep the size.
NodeAttrs conv3x3_same() {
  NodeAttrs a;
  a.kernel_shape = {3, 3};
  a.strides = {1, 1};
  a.dilations = {1, 1};
  a.pads = {1, 1, 1, 1};
  return a;
}

}  // namespace

// x -> Q -> DQ -> Conv(DQ(W), DQ(B)) -> Relu -> Q -> DQ -> y, quantized with
// the parameters above, fuses into one QConv reading the int8 x.
TEST_CASE("a Conv quantized with these parameters fuses into QConv") {
  Graph g;
  const Quantization qx = activation_quant(-2.0f, 2.0f), qy = activation_quant(0.0f, 4.0f);
  std::vector<float> w(3 * 2 * 3 * 3), b = {0.1f, -0.2f, 0.3f};
  for (size_t i = 0; i < w.size(); ++i) w[i] = float(int(i * 37 % 19) - 9) / 10.0f;
  const QuantizedWeights qw = quantize_weights(w.data(), 3, 18);
  const QuantizedBias qb = quantize_bias(b.data(), 3, qx.scale[0], qw.quant);
  const int x = tensor(g, "x", {1, 2, 4, 4});
  g.inputs = {x};
  const int xq = tensor(g, "x_q", {}, DType::kInt8, qx), xd = tensor(g, "x_dq", {});
  const int wi = tensor(g, "w", {3, 2, 3, 3}, DType::kInt8, qw.quant);
  g.tensor(wi).data = ConstantData::from_int8(qw.values);
  const int bi = tensor(g, "b", {3}, DType::kInt32, qb.quant);
  g.tensor(bi).data = ConstantData::from_int32(qb.values);
  const int wd = tensor(g, "w_dq", {}), bd = tensor(g, "b_dq", {});
  const int c = tensor(g, "conv", {}), r = tensor(g, "relu", {});
  const int yq = tensor(g, "y_q", {}, DType::kInt8, qy), y = tensor(g, "y", {});
  const NodeAttrs a = conv3x3_same();
  node(g, "q_x", OpType::kQuantizeLinear, {x}, xq);
  node(g, "dq_x", OpType::kDequantizeLinear, {xq}, xd);
  node(g, "dq_w", OpType::kDequantizeLinear, {wi}, wd);
  node(g, "dq_b", OpType::kDequantizeLinear, {bi}, bd);
  node(g, "conv", OpType::kConv, {xd, wd, bd}, c, a);
  node(g, "relu", OpType::kRelu, {c}, r);
  node(g, "q_y", OpType::kQuantizeLinear, {r}, yq);
  node(g, "dq_y", OpType::kDequantizeLinear, {yq}, y);
  g.outputs = {y};
  REQUIRE(infer_shapes(g).ok());
  auto fused = pass_fuse_qdq(g);
  REQUIRE_MESSAGE(fused.ok(), fused.status().to_string());
  CHECK(*fused == 1);
  int qconvs = 0;
  for (const Node& n : g.nodes) qconvs += n.op == OpType::kQConv;
  CHECK(qconvs == 1);
}

// ---- rewrite_to_qdq (graph/quant_rewrite.h) ----
namespace {

// Every tensor after a reference run (run_reference_graph), failing the test on an error.
std::vector<std::vector<char>> run_all(const Graph& g, const std::vector<float>& x) {
  auto buf = run_reference_graph(g, x);
  REQUIRE_MESSAGE(buf.ok(), buf.status().to_string());
  return std::move(*buf);
}

std::vector<float> floats_of(const std::vector<char>& b) {
  std::vector<float> v(b.size() / sizeof(float));
  std::memcpy(v.data(), b.data(), b.size());
  return v;
}

int constant(Graph& g, const char* name, Shape s, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, 0.3f);
  std::vector<float> v(size_t(shape_elements(s)));
  for (float& f : v) f = nd(rng);
  const int t = tensor(g, name, std::move(s));
  g.tensor(t).data = ConstantData::from_floats(std::move(v));
  return t;
}

// x [1,2,6,6] -> conv1 (4 channels, fused Relu) -> conv2 (3 channels) -> y.
Graph two_convs() {
  std::mt19937 rng(7);
  Graph g;
  const int x = tensor(g, "x", {1, 2, 6, 6});
  g.inputs = {x};
  const NodeAttrs a = conv3x3_same();
  const int h = tensor(g, "h", {}), y = tensor(g, "y", {});
  NodeAttrs relu = a;
  relu.activation.min = 0.0f;
  node(g, "conv1", OpType::kConv,
       {x, constant(g, "w1", {4, 2, 3, 3}, rng), constant(g, "b1", {4}, rng)}, h, relu);
  node(g, "conv2", OpType::kConv,
       {h, constant(g, "w2", {3, 4, 3, 3}, rng), constant(g, "b2", {3}, rng)}, y, a);
  g.outputs = {y};
  REQUIRE(infer_shapes(g).ok());
  return g;
}

// x [1,2,6,6] -> conv1 (Relu) -> h -> conv2 -> h2; s = Relu(h2 + h); p = MaxPool 2x2 (s);
// c3 = conv3(p); cat = Concat(p, c3); GAP -> Flatten -> Gemm (transB) -> y [1, 5].
Graph residual_net() {
  std::mt19937 rng(11);
  Graph g;
  const int x = tensor(g, "x", {1, 2, 6, 6});
  g.inputs = {x};
  const NodeAttrs a = conv3x3_same();
  NodeAttrs relu = a;
  relu.activation.min = 0.0f;
  const int h = tensor(g, "h", {}), h2 = tensor(g, "h2", {}), s = tensor(g, "s", {});
  node(g, "conv1", OpType::kConv,
       {x, constant(g, "w1", {4, 2, 3, 3}, rng), constant(g, "b1", {4}, rng)}, h, relu);
  node(g, "conv2", OpType::kConv,
       {h, constant(g, "w2", {4, 4, 3, 3}, rng), constant(g, "b2", {4}, rng)}, h2, a);
  NodeAttrs add_relu;
  add_relu.activation.min = 0.0f;
  node(g, "add", OpType::kAdd, {h2, h}, s, add_relu);
  NodeAttrs pool;
  pool.kernel_shape = {2, 2};
  pool.strides = {2, 2};
  pool.dilations = {1, 1};
  pool.pads = {0, 0, 0, 0};
  const int p = tensor(g, "p", {}), c3 = tensor(g, "c3", {}), cat = tensor(g, "cat", {});
  node(g, "pool", OpType::kMaxPool, {s}, p, pool);
  node(g, "conv3", OpType::kConv, {p, constant(g, "w3", {2, 4, 3, 3}, rng)}, c3, a);
  NodeAttrs axis1;
  axis1.axis = 1;
  node(g, "cat", OpType::kConcat, {p, c3}, cat, axis1);
  const int gap = tensor(g, "gap", {}), flat = tensor(g, "flat", {}), y = tensor(g, "y", {});
  node(g, "gap", OpType::kGlobalAveragePool, {cat}, gap);
  node(g, "flatten", OpType::kFlatten, {gap}, flat, axis1);
  NodeAttrs gemm;
  gemm.trans_b = true;
  node(g, "fc", OpType::kGemm, {flat, constant(g, "wf", {5, 6}, rng), constant(g, "bf", {5}, rng)},
       y, gemm);
  g.outputs = {y};
  REQUIRE(infer_shapes(g).ok());
  return g;
}

std::vector<float> random_input(unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd;
  std::vector<float> v(72);
  for (float& f : v) f = nd(rng);
  return v;
}

std::vector<MinMax> calibrate(const Graph& g, int samples) {
  std::vector<MinMax> r(g.tensors.size());
  for (int s = 0; s < samples; ++s) {
    const auto buf = run_all(g, random_input(unsigned(100 + s)));
    for (size_t t = 0; t < g.tensors.size(); ++t)
      if (!g.tensors[t].is_constant()) r[t].observe(floats_of(buf[t]).data(), buf[t].size() / 4);
  }
  return r;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) ab += a[i] * b[i], aa += a[i] * a[i], bb += b[i] * b[i];
  return ab / std::sqrt(aa * bb);
}

int count(const Graph& g, OpType op) {
  int k = 0;
  for (const Node& n : g.nodes) k += n.op == op;
  return k;
}

}  // namespace

TEST_CASE("rewrite_to_qdq: calibrated Convs fuse into QConvs close to fp32") {
  const Graph f = two_convs();
  Graph q = f;
  auto n = quant::rewrite_to_qdq(q, calibrate(f, 8), {});
  REQUIRE_MESSAGE(n.ok(), n.status().to_string());
  CHECK(*n == 2);
  REQUIRE(infer_shapes(q).ok());
  REQUIRE(pass_fuse_qdq(q).ok());
  CHECK(count(q, OpType::kQConv) == 2);
  CHECK(count(q, OpType::kConv) == 0);
  const std::vector<float> x = random_input(1);  // not a calibration input
  const auto yf = floats_of(run_all(f, x)[size_t(f.outputs[0])]);
  const auto yq = floats_of(run_all(q, x)[size_t(q.outputs[0])]);
  const double c = cosine(yf, yq);
  MESSAGE("cosine int8 vs fp32: " << c);
  CHECK(c > 0.995);
  // h is quantized once, by conv1's output: conv2 reads that int8 tensor, no round trip.
  REQUIRE(pass_eliminate_dead(q).ok());
  CHECK(count(q, OpType::kQuantizeLinear) == 1);
  CHECK(count(q, OpType::kDequantizeLinear) == 1);
  Graph folded = q;
  CHECK(quant::fold_dequant_quant(folded) == 0);
}

TEST_CASE("rewrite_to_qdq: Add, MaxPool, Concat, GlobalAveragePool and Gemm become int8 ops") {
  const Graph f = residual_net();
  Graph q = f;
  auto n = quant::rewrite_to_qdq(q, calibrate(f, 8), {});
  REQUIRE_MESSAGE(n.ok(), n.status().to_string());
  CHECK(*n == 8);
  REQUIRE(infer_shapes(q).ok());
  REQUIRE(pass_fuse_qdq(q).ok());
  CHECK(count(q, OpType::kQConv) == 3);
  CHECK(count(q, OpType::kQAdd) == 1);
  CHECK(count(q, OpType::kQMaxPool) == 1);
  CHECK(count(q, OpType::kQConcat) == 1);
  CHECK(count(q, OpType::kQGlobalAveragePool) == 1);
  CHECK(count(q, OpType::kQGemm) == 1);
  for (OpType op : {OpType::kConv, OpType::kAdd, OpType::kMaxPool, OpType::kConcat,
                    OpType::kGlobalAveragePool, OpType::kGemm, OpType::kRelu})
    CHECK_MESSAGE(count(q, op) == 0, std::string(op_name(op)));
  // One Q per quantized tensor: x, and the Flatten's float output before the Gemm.
  REQUIRE(pass_eliminate_dead(q).ok());
  CHECK(count(q, OpType::kQuantizeLinear) == 2);
  // The pool keeps the Add's quantization: a max of int8 codes, no requantization.
  for (const Node& nd : q.nodes)
    if (nd.op == OpType::kQMaxPool)
      CHECK(q.tensor(nd.inputs[0]).quant == q.tensor(nd.outputs[0]).quant);
  const std::vector<float> x = random_input(3);
  const auto yf = floats_of(run_all(f, x)[size_t(f.outputs[0])]);
  const auto yq = floats_of(run_all(q, x)[size_t(q.outputs[0])]);
  const double c = cosine(yf, yq);
  MESSAGE("cosine int8 vs fp32: " << c);
  CHECK(c > 0.99);
}

TEST_CASE("rewrite_to_qdq: an Add whose clamp saturation cannot apply stays float") {
  // Clip(0, 0.05) fused into the Add while the output's range reaches 1: the top int8
  // code would mean ~1, above the clip, and QAdd has no clamp of its own.
  Graph f = residual_net();
  for (Node& nd : f.nodes)
    if (nd.name == "add") nd.attrs.activation.max = 0.05f;
  std::vector<MinMax> r = calibrate(f, 4);
  for (size_t t = 0; t < f.tensors.size(); ++t)
    if (f.tensors[t].name == "s") r[t].max = 1.0f;
  Graph q = f;
  REQUIRE(quant::rewrite_to_qdq(q, r, {}).ok());
  REQUIRE(infer_shapes(q).ok());
  REQUIRE(pass_fuse_qdq(q).ok());
  CHECK(count(q, OpType::kQAdd) == 0);
  CHECK(count(q, OpType::kAdd) == 1);
}

TEST_CASE("rewrite_to_qdq: a node named in keep_fp32 stays float") {
  const Graph f = two_convs();
  Graph q = f;
  auto n = quant::rewrite_to_qdq(q, calibrate(f, 4), {"conv2"});
  REQUIRE(n.ok());
  CHECK(*n == 1);
  REQUIRE(infer_shapes(q).ok());
  REQUIRE(pass_fuse_qdq(q).ok());
  CHECK(count(q, OpType::kQConv) == 1);
  CHECK(count(q, OpType::kConv) == 1);
  const std::vector<float> x = random_input(2);
  CHECK(cosine(floats_of(run_all(f, x)[size_t(f.outputs[0])]),
               floats_of(run_all(q, x)[size_t(q.outputs[0])])) > 0.995);
}

TEST_CASE("rewrite_to_qdq: a Concat and a MaxPool named in keep_fp32 stay float") {
  // Their inputs come from DQs and their readers are Qs: pass_fuse_qdq alone would fuse them.
  const Graph f = residual_net();
  Graph q = f;
  const std::set<std::string> keep{"cat", "pool"};
  REQUIRE(quant::rewrite_to_qdq(q, calibrate(f, 4), keep).ok());
  REQUIRE(infer_shapes(q).ok());
  REQUIRE(pass_fuse_qdq(q, keep).ok());
  CHECK(count(q, OpType::kConcat) == 1);
  CHECK(count(q, OpType::kMaxPool) == 1);
  CHECK(count(q, OpType::kQConcat) == 0);
  CHECK(count(q, OpType::kQMaxPool) == 0);
  CHECK(count(q, OpType::kQConv) == 3);
}

TEST_CASE("rewrite_to_qdq: ranges must cover every tensor") {
  Graph g = two_convs();
  auto n = quant::rewrite_to_qdq(g, {}, {});
  REQUIRE_FALSE(n.ok());
  CHECK(n.status().to_string().find("calibration ranges") != std::string::npos);
}
