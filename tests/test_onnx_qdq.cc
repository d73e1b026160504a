// ONNX QDQ models (as quantize_static writes them) through the converter:
// QDQ groups become the int8 ops of docs/int8.md, what Tandem cannot run is a
// clear error naming the node.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kernels/reference/reference_kernels.h"
#include "tests/onnx_builder.h"
#include "tests/onnx_convert_helpers.h"

using namespace tandem;
using namespace tandem::test;

namespace {

void init_typed(OnnxBuilder& b, const std::string& name, int32_t type,
                const std::vector<int64_t>& shape, const std::vector<int32_t>& values) {
  auto* t = b.graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(type);
  for (int64_t d : shape) t->add_dims(d);
  for (int32_t v : values) t->add_int32_data(v);
}
void init_int8(OnnxBuilder& b, const std::string& name, const std::vector<int64_t>& shape,
               const std::vector<int32_t>& values) {
  init_typed(b, name, onnx::TensorProto::INT8, shape, values);
}

// x -> Q -> DQ -> Conv(DQ(W per channel), DQ(B)) -> Relu -> Q -> DQ -> y.
OnnxBuilder qdq_conv(int32_t zp_type = onnx::TensorProto::INT8) {
  OnnxBuilder b(13);
  b.input("x", {1, 2, 4, 4});
  b.init_floats("sx", {}, {0.05f});
  init_typed(b, "zx", zp_type, {}, {zp_type == onnx::TensorProto::INT8 ? -3 : 125});
  b.init_floats("sy", {}, {0.1f});
  init_int8(b, "zy", {}, {-128});
  std::vector<int32_t> w(3 * 2 * 3 * 3);
  for (size_t i = 0; i < w.size(); ++i) w[i] = int32_t(i * 37 % 255) - 127;
  init_int8(b, "w", {3, 2, 3, 3}, w);
  b.init_floats("sw", {3}, {0.01f, 0.02f, 0.005f});
  init_int8(b, "zw", {3}, {0, 0, 0});
  init_typed(b, "bias", onnx::TensorProto::INT32, {3}, {100, -2000, 7});
  b.init_floats("sb", {3}, {0.0005f, 0.001f, 0.00025f});
  init_typed(b, "zb", onnx::TensorProto::INT32, {3}, {0, 0, 0});
  b.node("QuantizeLinear", {"x", "sx", "zx"}, {"xq"}, "q_in");
  b.node("DequantizeLinear", {"xq", "sx", "zx"}, {"xd"}, "dq_in");
  OnnxBuilder::attr(b.node("DequantizeLinear", {"w", "sw", "zw"}, {"wd"}, "dq_w"), "axis",
                    int64_t{0});
  OnnxBuilder::attr(b.node("DequantizeLinear", {"bias", "sb", "zb"}, {"bd"}, "dq_b"), "axis",
                    int64_t{0});
  auto* c = b.node("Conv", {"xd", "wd", "bd"}, {"c"}, "conv");
  OnnxBuilder::attr(c, "pads", std::vector<int64_t>{1, 1, 1, 1});
  b.node("Relu", {"c"}, {"r"}, "relu");
  b.node("QuantizeLinear", {"r", "sy", "zy"}, {"yq"}, "q_out");
  b.node("DequantizeLinear", {"yq", "sy", "zy"}, {"y"}, "dq_out");
  b.output("y");
  return b;
}

ConvertOptions with_passes() {
  ConvertOptions o;
  o.evaluate_constants = run_reference_node;
  return o;
}

}  // namespace

TEST_CASE("QDQ Conv + Relu becomes QuantizeLinear -> QConv -> DequantizeLinear") {
  Graph g = convert_ok(qdq_conv(), "qdq_conv.onnx", with_passes());
  REQUIRE(g.nodes.size() == 3);
  CHECK(g.nodes[0].op == OpType::kQuantizeLinear);
  CHECK(g.nodes[2].op == OpType::kDequantizeLinear);
  const Node& q = single(g, OpType::kQConv);
  CHECK(q.name == "conv");
  CHECK(q.attrs.qmin == -128);  // Relu at zero point -128: the int8 range already holds it
  CHECK(q.attrs.pads == std::vector<int64_t>{1, 1, 1, 1});
  const Tensor& w = g.tensor(q.inputs[1]);
  CHECK(w.dtype == DType::kInt8);
  CHECK(w.quant.axis == 0);
  CHECK(w.quant.scale == std::vector<float>{0.01f, 0.02f, 0.005f});
  const Tensor& b = g.tensor(q.inputs[2]);
  CHECK(b.dtype == DType::kInt32);
  CHECK(b.data->i32()[1] == -2000);  // given at sx * sw[m]: kept as is
  CHECK(g.tensor(q.outputs[0]).quant == Quantization{{0.1f}, {-128}, -1});
  CHECK(g.tensor(q.inputs[0]).quant == Quantization{{0.05f}, {-3}, -1});
}

TEST_CASE("QDQ: a bias at another scale is requantized to sx * sw[m]") {
  OnnxBuilder b = qdq_conv();
  for (auto& t : *b.graph()->mutable_initializer())
    if (t.name() == "sb") {
      const float v[3] = {0.001f, 0.001f, 0.001f};  // [100, -2000, 7] at 0.001
      t.set_raw_data(std::string(reinterpret_cast<const char*>(v), 12));
    }
  Graph g = convert_ok(b, "qdq_bias.onnx", with_passes());
  const Tensor& bias = g.tensor(single(g, OpType::kQConv).inputs[2]);
  // 100 * 0.001 / 0.0005 = 200; -2000 * 0.001 / 0.001 = -2000; 7 * 0.001 / 0.00025 = 28
  CHECK(std::vector<int32_t>(bias.data->i32(), bias.data->i32() + 3) ==
        std::vector<int32_t>{200, -2000, 28});
}

TEST_CASE("QDQ MatMul with [K, N] weights becomes QGemm with [N, K] weights") {
  OnnxBuilder b(13);
  b.input("x", {1, 3});
  b.init_floats("s", {}, {0.5f});
  init_int8(b, "z", {}, {0});
  init_int8(b, "w", {3, 2}, {1, 2, 3, 4, 5, 6});
  b.init_floats("sw", {2}, {0.25f, 0.5f});
  init_int8(b, "zw", {2}, {0, 0});
  b.node("QuantizeLinear", {"x", "s", "z"}, {"xq"});
  b.node("DequantizeLinear", {"xq", "s", "z"}, {"xd"});
  OnnxBuilder::attr(b.node("DequantizeLinear", {"w", "sw", "zw"}, {"wd"}), "axis", int64_t{1});
  b.node("MatMul", {"xd", "wd"}, {"m"}, "fc");
  b.node("QuantizeLinear", {"m", "s", "z"}, {"mq"});
  b.node("DequantizeLinear", {"mq", "s", "z"}, {"y"});
  b.output("y");
  Graph g = convert_ok(b, "qdq_matmul.onnx", with_passes());
  const Node& q = single(g, OpType::kQGemm);
  const Tensor& w = g.tensor(q.inputs[1]);
  CHECK(w.shape == Shape{2, 3});
  CHECK(std::vector<int8_t>(w.data->i8(), w.data->i8() + 6) ==
        std::vector<int8_t>{1, 3, 5, 2, 4, 6});
  CHECK(w.quant.axis == 0);
  CHECK(g.tensor(q.outputs[0]).shape == Shape{1, 2});
}

TEST_CASE("QDQ: uint8 activations are shifted onto int8 and compute the same") {
  Graph g8 = convert_ok(qdq_conv(), "qdq_int8_in.onnx", with_passes());
  Graph gu = convert_ok(qdq_conv(onnx::TensorProto::UINT8), "qdq_uint8_in.onnx", with_passes());
  const Node& q = single(gu, OpType::kQConv);
  CHECK(gu.tensor(q.inputs[0]).quant == Quantization{{0.05f}, {-3}, -1});  // 125 - 128
  std::vector<float> x = random_floats(32, 5, -2.0f, 2.0f);
  std::vector<float> y8(48), yu(48);
  for (Graph* g : {&g8, &gu}) {
    std::vector<std::vector<float>> buf(g->tensors.size());
    for (size_t t = 0; t < g->tensors.size(); ++t)
      buf[t].resize(size_t(std::max<int64_t>(1, shape_elements(g->tensors[t].shape))));
    buf[size_t(g->inputs[0])] = x;
    for (const Node& n : g->nodes) {
      std::vector<const float*> in;
      for (int t : n.inputs)
        in.push_back(g->tensor(t).is_constant() ? g->tensor(t).data->f32() : buf[size_t(t)].data());
      float* out = buf[size_t(n.outputs[0])].data();
      REQUIRE(run_reference_node(*g, n, in.data(), &out).ok());
    }
    (g == &g8 ? y8 : yu) = buf[size_t(g->outputs[0])];
  }
  CHECK(y8 == yu);
  double peak = 0;
  for (float v : y8) peak = std::max(peak, double(v));
  CHECK(peak > 0.1);
}

TEST_CASE("QDQ errors name the node: other zero point types, mismatched scales") {
  Status st = convert_error(qdq_conv(onnx::TensorProto::INT16), "qdq_int16.onnx");
  CHECK(st.code() == StatusCode::kUnsupported);
  CHECK(contains(st.message(), "tensor 'zx' is INT16"));
  CHECK(contains(st.message(), "INT16"));

  OnnxBuilder b = qdq_conv();
  for (auto& n : *b.graph()->mutable_node())
    if (n.name() == "dq_in") n.set_input(1, "sy");
  st = convert_error(b, "qdq_mismatch.onnx");
  CHECK(contains(st.message(), "'dq_in' (DequantizeLinear)"));
  CHECK(contains(st.message(), "differ"));
}

TEST_CASE("QDQ: asymmetric (uint8) weights leave the conv in float, with folded weights") {
  OnnxBuilder b = qdq_conv();
  for (auto& t : *b.graph()->mutable_initializer()) {
    if (t.name() == "w") {  // uint8 weights with zero points 128 +- a few: not symmetric
      t.set_data_type(onnx::TensorProto::UINT8);
      for (int k = 0; k < t.int32_data_size(); ++k) t.set_int32_data(k, t.int32_data(k) + 128);
    }
    if (t.name() == "zw") {
      t.set_data_type(onnx::TensorProto::UINT8);
      for (int k = 0; k < t.int32_data_size(); ++k) t.set_int32_data(k, 128 + k);
    }
  }
  Graph g = convert_ok(b, "qdq_asym.onnx", with_passes());
  const Node& conv = single(g, OpType::kConv);
  const Tensor& w = g.tensor(conv.inputs[1]);
  CHECK(w.is_constant());
  CHECK(w.dtype == DType::kFloat32);  // DequantizeLinear folded at conversion
  // w[0] was (0 * 37 % 255) - 127 = -127 stored as 1 with zero point 128: (1 - 128) * 0.01
  CHECK(w.data->f32()[0] == doctest::Approx(-1.27f));
  int dq = 0;  // the activation's and the output's: no DequantizeLinear of a constant is left
  for (const Node& n : g.nodes)
    if (n.op == OpType::kDequantizeLinear) {
      ++dq;
      CHECK_FALSE(g.tensor(n.inputs[0]).is_constant());
    }
  CHECK(dq == 2);
}

TEST_CASE("QDQ around an op without an int8 kernel stays float between DQ and Q") {
  OnnxBuilder b(13);
  b.input("x", {1, 4});
  b.init_floats("s", {}, {0.5f});
  init_int8(b, "z", {}, {1});
  b.node("QuantizeLinear", {"x", "s", "z"}, {"xq"});
  b.node("DequantizeLinear", {"xq", "s", "z"}, {"xd"});
  b.node("Sigmoid", {"xd"}, {"sg"}, "sig");
  b.node("QuantizeLinear", {"sg", "s", "z"}, {"sq"});
  b.node("DequantizeLinear", {"sq", "s", "z"}, {"y"});
  b.output("y");
  Graph g = convert_ok(b, "qdq_float_op.onnx", with_passes());
  REQUIRE(g.nodes.size() == 5);
  CHECK(g.nodes[2].op == OpType::kSigmoid);
}
