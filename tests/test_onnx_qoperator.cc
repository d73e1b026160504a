// QOperator models (the CNN ops as ONNX Runtime's quantize_static writes them:
// QLinearConv, com.microsoft QLinearAdd, QLinearConcat,
// QLinearGlobalAveragePool, QGemm, int8 MaxPool and Flatten) convert into the same int8
// ops as the QDQ form of the same model, written here from the ONNX operator
// definitions, and run bit-identically to it; bad QOperator nodes are named.
#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <random>

#include "kernels/reference/reference_kernels.h"
#include "tests/onnx_convert_helpers.h"
#include "tests/qdq_builder.h"

using namespace tandem;
using namespace tandem::test;

namespace {

constexpr int32_t kInt8 = onnx::TensorProto::INT8;
constexpr int32_t kInt32 = onnx::TensorProto::INT32;

// Per-tensor scales and zero points, per-channel weight scales, int8 weights and int32
// biases shared by both forms.
struct Params {
  std::map<std::string, std::pair<float, int32_t>> act = {
      {"x", {0.03f, 4}},    {"c1", {0.05f, -3}}, {"c2", {0.04f, 6}}, {"add", {0.08f, -10}},
      {"cat", {0.09f, -2}}, {"gap", {0.02f, 5}}, {"fc", {0.05f, 1}}};
};

std::vector<int32_t> draw(std::mt19937& rng, size_t n, int lo, int hi) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<int32_t> v(n);
  for (int32_t& x : v) x = d(rng);
  return v;
}

// The initializers both forms read: activation scales/zero points (NAME_s, NAME_z),
// weights W (int8), W_s (per output channel), W_z (zeros), biases B (int32).
void add_initializers(QdqBuilder& q, const Params& p) {
  for (const auto& [name, sz] : p.act) {
    q.b.init_floats(name + "_s", {}, {sz.first});
    q.int_init(name + "_z", kInt8, {}, {sz.second});
  }
  std::mt19937 rng(5);
  auto weight = [&](const std::string& name, std::vector<int64_t> shape) {
    int64_t count = 1;
    for (int64_t d : shape) count *= d;
    q.int_init(name, kInt8, shape, draw(rng, size_t(count), -127, 127));
    std::vector<float> s(static_cast<size_t>(shape[0]));
    std::uniform_real_distribution<float> sd(0.002f, 0.02f);
    for (float& v : s) v = sd(rng);
    q.b.init_floats(name + "_s", {shape[0]}, s);
    q.int_init(name + "_z", kInt8, {shape[0]}, std::vector<int32_t>(size_t(shape[0]), 0));
  };
  weight("w1", {8, 3, 3, 3});
  weight("w2", {8, 8, 1, 1});
  weight("wfc", {10, 16});
  q.int_init("b1", kInt32, {8}, draw(rng, 8, -3000, 3000));
  q.int_init("bfc", kInt32, {10}, draw(rng, 10, -3000, 3000));
}

void pads1(onnx::NodeProto* n) {
  OnnxBuilder::attr(n, "pads", std::vector<int64_t>{1, 1, 1, 1});
}

void maxpool2(onnx::NodeProto* n) {
  OnnxBuilder::attr(n, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(n, "strides", std::vector<int64_t>{2, 2});
}

onnx::NodeProto* ms(onnx::NodeProto* n) {
  n->set_domain("com.microsoft");
  return n;
}

// x -> Q -> QLinearConv 3x3 (bias) -> MaxPool -> QLinearConv 1x1 -> QLinearAdd(pool, conv)
// -> QLinearConcat(add, pool) -> QLinearGlobalAveragePool -> Flatten -> QGemm -> DQ.
OnnxBuilder qoperator_model(const Params& p) {
  QdqBuilder q;
  OnnxBuilder& b = q.b;
  b.input("x", {1, 3, 8, 8});
  add_initializers(q, p);
  b.node("QuantizeLinear", {"x", "x_s", "x_z"}, {"xq"}, "quant");
  pads1(b.node("QLinearConv", {"xq", "x_s", "x_z", "w1", "w1_s", "w1_z", "c1_s", "c1_z", "b1"},
               {"c1"}, "conv1"));
  maxpool2(b.node("MaxPool", {"c1"}, {"pool"}, "pool"));
  b.node("QLinearConv", {"pool", "c1_s", "c1_z", "w2", "w2_s", "w2_z", "c2_s", "c2_z"}, {"c2"},
         "conv2");
  ms(b.node("QLinearAdd", {"pool", "c1_s", "c1_z", "c2", "c2_s", "c2_z", "add_s", "add_z"}, {"add"},
            "add"));
  OnnxBuilder::attr(ms(b.node("QLinearConcat",
                              {"cat_s", "cat_z", "add", "add_s", "add_z", "pool", "c1_s", "c1_z"},
                              {"cat"}, "cat")),
                    "axis", int64_t{1});
  ms(b.node("QLinearGlobalAveragePool", {"cat", "cat_s", "cat_z", "gap_s", "gap_z"}, {"gap"},
            "gap"));
  b.node("Flatten", {"gap"}, {"flat"}, "flatten");
  OnnxBuilder::attr(
      ms(b.node("QGemm", {"flat", "gap_s", "gap_z", "wfc", "wfc_s", "wfc_z", "bfc", "fc_s", "fc_z"},
                {"fc"}, "fc")),
      "transB", int64_t{1});
  b.node("DequantizeLinear", {"fc", "fc_s", "fc_z"}, {"y"}, "dequant");
  b.output("y");
  return b;
}

// The same model in QDQ form, from the operator definitions: each QLinear op is
// DequantizeLinear of its int8 inputs, the float op, QuantizeLinear at its output
// scale; an int32 bias has scale x_scale * w_scale[m] and zero point 0.
OnnxBuilder qdq_model(const Params& p) {
  QdqBuilder q;
  OnnxBuilder& b = q.b;
  b.input("x", {1, 3, 8, 8});
  add_initializers(q, p);
  auto dq = [&](const std::string& x, const std::string& s, const std::string& z,
                int64_t axis = -1) {
    auto* n = b.node("DequantizeLinear", {x, s, z}, {x + "_d"});
    if (axis >= 0) OnnxBuilder::attr(n, "axis", axis);
    return x + "_d";
  };
  auto qz = [&](const std::string& x, const std::string& act, const std::string& y) {
    b.node("QuantizeLinear", {x, act + "_s", act + "_z"}, {y});
  };
  auto bias_scale = [&](const std::string& bias, const std::string& w, const std::string& act) {
    std::vector<float> s;
    for (const auto& t : b.graph()->initializer())
      if (t.name() == w + "_s")
        for (int k = 0; k < t.dims(0); ++k) {
          float v;
          std::memcpy(&v, t.raw_data().data() + 4 * k, 4);
          s.push_back(p.act.at(act).first * v);
        }
    b.init_floats(bias + "_s", {int64_t(s.size())}, s);
    q.int_init(bias + "_z", kInt32, {int64_t(s.size())}, std::vector<int32_t>(s.size(), 0));
    return dq(bias, bias + "_s", bias + "_z", 0);
  };
  qz("x", "x", "xq");
  const std::string xd = dq("xq", "x_s", "x_z");
  pads1(b.node("Conv", {xd, dq("w1", "w1_s", "w1_z", 0), bias_scale("b1", "w1", "x")}, {"c1f"}));
  qz("c1f", "c1", "c1");
  maxpool2(b.node("MaxPool", {dq("c1", "c1_s", "c1_z")}, {"poolf"}));
  qz("poolf", "c1", "pool");
  const std::string pd = dq("pool", "c1_s", "c1_z");
  b.node("Conv", {pd, dq("w2", "w2_s", "w2_z", 0)}, {"c2f"});
  qz("c2f", "c2", "c2");
  b.node("Add", {pd, dq("c2", "c2_s", "c2_z")}, {"addf"});
  qz("addf", "add", "add");
  OnnxBuilder::attr(b.node("Concat", {dq("add", "add_s", "add_z"), pd}, {"catf"}), "axis",
                    int64_t{1});
  qz("catf", "cat", "cat");
  b.node("GlobalAveragePool", {dq("cat", "cat_s", "cat_z")}, {"gapf"});
  qz("gapf", "gap", "gap");
  b.node("Flatten", {dq("gap", "gap_s", "gap_z")}, {"flatf"});
  qz("flatf", "gap", "flat");
  OnnxBuilder::attr(b.node("Gemm",
                           {dq("flat", "gap_s", "gap_z"), dq("wfc", "wfc_s", "wfc_z", 0),
                            bias_scale("bfc", "wfc", "gap")},
                           {"fcf"}),
                    "transB", int64_t{1});
  qz("fcf", "fc", "fc");
  b.node("DequantizeLinear", {"fc", "fc_s", "fc_z"}, {"y"});
  b.output("y");
  return b;
}

Graph convert(const OnnxBuilder& b, const char* file) {
  ConvertOptions o;
  o.evaluate_constants = run_reference_node;
  return convert_ok(b, file, o);
}

std::map<OpType, int> op_counts(const Graph& g) {
  std::map<OpType, int> ops;
  for (const Node& n : g.nodes) ops[n.op]++;
  return ops;
}

}  // namespace

TEST_CASE("a QOperator model converts to the int8 ops of its QDQ form and runs identically") {
  const Params p;
  Graph qop = convert(qoperator_model(p), "qoperator.onnx");
  Graph qdq = convert(qdq_model(p), "qdq.onnx");
  const std::map<OpType, int> ops = op_counts(qop);
  CHECK(ops == op_counts(qdq));
  CHECK(ops.at(OpType::kQConv) == 2);
  CHECK(ops.at(OpType::kQMaxPool) == 1);
  CHECK(ops.at(OpType::kQAdd) == 1);
  CHECK(ops.at(OpType::kQConcat) == 1);
  CHECK(ops.at(OpType::kQGlobalAveragePool) == 1);
  CHECK(ops.at(OpType::kQGemm) == 1);
  CHECK(ops.count(OpType::kConv) == 0);
  const std::vector<float> want = run_whole(qdq, "reference", nullptr);
  double spread = 0;
  for (float v : want) spread = std::max(spread, double(std::abs(v)));
  CHECK(spread > 0.1);  // the output carries signal
  for (const char* spec : {"reference", "cpu:threads=1", "cpu:threads=2"}) {
    INFO(spec);
    const std::vector<float> got = run_whole(qop, spec, nullptr);
    REQUIRE(got.size() == want.size());
    CHECK(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("QOperator nodes Tandem cannot take are named") {
  const Params p;
  {  // a scale that is a graph input, not an initializer
    OnnxBuilder b = qoperator_model(p);
    b.input("c1_dynamic_s", {});
    b.graph()->mutable_node(1)->set_input(1, "c1_dynamic_s");
    b.graph()->mutable_node(1)->set_input(4, "c1_dynamic_s");
    ConvertOptions o;
    o.evaluate_constants = run_reference_node;
    const Status s = convert_error(b, "dynamic_scale.onnx", o);
    CHECK(contains(s.message(), "QLinearConv 'conv1'"));
    CHECK(contains(s.message(), "must be an initializer"));
  }
  {  // NHWC pooling
    OnnxBuilder b = qoperator_model(p);
    for (auto& n : *b.graph()->mutable_node())
      if (n.op_type() == "QLinearGlobalAveragePool")
        OnnxBuilder::attr(&n, "channels_last", int64_t{1});
    const Status s = convert_error(b, "nhwc_pool.onnx", ConvertOptions());
    CHECK(contains(s.message(), "com.microsoft::QLinearGlobalAveragePool 'gap'"));
    CHECK(contains(s.message(), "channels_last"));
  }
  {  // a QOperator op with no rewrite stays an unsupported op, named
    OnnxBuilder b = qoperator_model(p);
    b.graph()->mutable_node(2)->set_op_type("QLinearLeakyRelu");
    b.graph()->mutable_node(2)->set_domain("com.microsoft");
    const Status s = convert_error(b, "leaky.onnx", ConvertOptions());
    CHECK(contains(s.message(), "com.microsoft::QLinearLeakyRelu"));
    CHECK(contains(s.message(), "'pool'"));
  }
}
