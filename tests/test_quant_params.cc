// The parameters `tandem quantize` chooses (graph/quant_params.h): activation
// ranges, per-channel symmetric weights, int32 biases at sx * sw[m], and that a
// Conv rewritten to QDQ form with them is what pass_fuse_qdq turns into QConv.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "graph/passes.h"
#include "graph/quant_params.h"
#include "graph/shape_inference.h"

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
  NodeAttrs a;
  a.kernel_shape = {3, 3};
  a.strides = {1, 1};
  a.dilations = {1, 1};
  a.pads = {1, 1, 1, 1};
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
