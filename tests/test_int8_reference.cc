// The int8 reference kernels (docs/int8.md) on hand-made tensors with the
// integers worked out by hand, the dtype checks, and int8 models in .tdm files.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "formats/model_file.h"
#include "graph/shape_inference.h"
#include "kernels/reference/reference_kernels.h"
#include "tests/helpers.h"

using namespace tandem;

namespace {

Quantization per_tensor(float scale, int32_t zp) {
  return Quantization{{scale}, {zp}, -1};
}

int int8_value(Graph& g, const std::string& name, Shape shape, Quantization q) {
  Tensor t;
  t.name = name;
  t.dtype = DType::kInt8;
  t.shape = std::move(shape);
  t.quant = std::move(q);
  return g.add_tensor(std::move(t));
}

int int8_const(Graph& g, const std::string& name, Shape shape, std::vector<int8_t> v,
               Quantization q) {
  const int id = int8_value(g, name, std::move(shape), std::move(q));
  g.tensor(id).data = ConstantData::from_int8(std::move(v));
  return id;
}

int int32_const(Graph& g, const std::string& name, std::vector<int32_t> v, Quantization q) {
  Tensor t;
  t.name = name;
  t.dtype = DType::kInt32;
  t.shape = {int64_t(v.size())};
  t.quant = std::move(q);
  t.data = ConstantData::from_int32(std::move(v));
  return g.add_tensor(std::move(t));
}

int add_node(Graph& g, OpType op, std::vector<int> ins, int out, NodeAttrs a = {}) {
  Node n;
  n.name = std::string(op_name(op)) + "_node";
  n.op = op;
  n.inputs = std::move(ins);
  n.outputs = {out};
  n.attrs = std::move(a);
  g.add_node(std::move(n));
  return out;
}

// Runs the graph's only node on the reference with int8 (or float) buffers.
template <typename Out>
std::vector<Out> run_node(Graph& g, const std::vector<const void*>& inputs) {
  REQUIRE(infer_shapes(g).ok());
  const Node& n = g.nodes.back();
  REQUIRE_MESSAGE(check_reference_node(g, n).ok(), check_reference_node(g, n).to_string());
  std::vector<const float*> in;
  for (size_t k = 0; k < n.inputs.size(); ++k)
    in.push_back(g.tensor(n.inputs[k]).is_constant() ? g.tensor(n.inputs[k]).data->f32()
                                                     : static_cast<const float*>(inputs[k]));
  std::vector<Out> y(size_t(shape_elements(g.tensor(n.outputs[0]).shape)));
  float* out = reinterpret_cast<float*>(y.data());
  Status st = run_reference_node(g, n, in.data(), &out);
  REQUIRE_MESSAGE(st.ok(), st.to_string());
  return y;
}

std::vector<int8_t> ints(std::vector<int> v) {
  return std::vector<int8_t>(v.begin(), v.end());
}

}  // namespace

TEST_CASE("QuantizeLinear divides, rounds half to even, adds the zero point and saturates") {
  Graph g;
  const int x = test::add_input(g, "x", {8});
  const int y = int8_value(g, "y", {8}, per_tensor(0.5f, 3));
  add_node(g, OpType::kQuantizeLinear, {x}, y);
  std::vector<float> xv{0.25f, 0.75f, 1.25f, -0.25f, 1000.0f, -1000.0f, 0.26f, -1.0f};
  // x/0.5 = 0.5, 1.5, 2.5, -0.5, 2000, -2000, 0.52, -2 -> 0, 2, 2, -0, sat, sat, 1, -2; + 3
  CHECK(run_node<int8_t>(g, {xv.data()}) == ints({3, 5, 5, 3, 127, -128, 4, 1}));
}

TEST_CASE("DequantizeLinear per tensor and per channel, int8 and int32") {
  Graph g;
  const int x = int8_value(g, "x", {3}, per_tensor(0.5f, -1));
  const int y = test::add_value(g, "y");
  add_node(g, OpType::kDequantizeLinear, {x}, y);
  std::vector<int8_t> xv{-128, 0, 127};
  CHECK(run_node<float>(g, {xv.data()}) == std::vector<float>{-63.5f, 0.5f, 64.0f});

  Graph w;
  const int wq =
      int8_const(w, "w", {2, 2}, ints({1, -2, 3, 4}), Quantization{{0.5f, 2.0f}, {0, 0}, 0});
  add_node(w, OpType::kDequantizeLinear, {wq}, test::add_value(w, "wf"));
  CHECK(run_node<float>(w, {nullptr}) == std::vector<float>{0.5f, -1.0f, 6.0f, 8.0f});

  Graph b;
  const int bq = int32_const(b, "b", {100000, -7}, per_tensor(0.25f, 0));
  add_node(b, OpType::kDequantizeLinear, {bq}, test::add_value(b, "bf"));
  CHECK(run_node<float>(b, {nullptr}) == std::vector<float>{25000.0f, -1.75f});
}

TEST_CASE("QConv: int32 sum of (x - zx) * w plus bias, times (sx*sw)/sy, half to even") {
  // x - zx = [[0,1,2],[3,4,5],[6,7,8]], w = [[1,2],[3,4]], b = 10: 37 47 67 77;
  // M = (0.5 * 0.25) / 0.25 = 0.5: 18.5 23.5 33.5 38.5 -> 18 24 34 38; zy = -5.
  auto build = [](Graph& g, NodeAttrs a) {
    const int x = int8_value(g, "x", {1, 1, 3, 3}, per_tensor(0.5f, 1));
    const int w = int8_const(g, "w", {1, 1, 2, 2}, ints({1, 2, 3, 4}), per_tensor(0.25f, 0));
    const int b = int32_const(g, "b", {10}, per_tensor(0.125f, 0));
    add_node(g, OpType::kQConv, {x, w, b}, int8_value(g, "y", {}, per_tensor(0.25f, -5)), a);
  };
  std::vector<int8_t> xv{1, 2, 3, 4, 5, 6, 7, 8, 9};
  Graph g;
  build(g, {});
  CHECK(run_node<int8_t>(g, {xv.data()}) == ints({13, 19, 29, 33}));
  SUBCASE("the clamp of a fused Relu/Clip") {
    Graph c;
    NodeAttrs a;
    a.qmin = 15;
    a.qmax = 30;
    build(c, a);
    CHECK(run_node<int8_t>(c, {xv.data()}) == ints({15, 19, 29, 30}));
  }
  SUBCASE("padding reads the zero point: the corner sees x(0,0) - zx = 0 only") {
    Graph p;
    NodeAttrs a;
    a.pads = {1, 1, 1, 1};
    build(p, a);
    std::vector<int8_t> y = run_node<int8_t>(p, {xv.data()});
    REQUIRE(y.size() == 16);
    CHECK(y[0] == 0);   // (0 * 4 + 10) * 0.5 = 5, - 5
    CHECK(y[15] == 4);  // x(2,2) - zx = 8 times w(0,0) = 1: (8 + 10) * 0.5 - 5
  }
}

TEST_CASE("QGemm: per-channel multipliers; QAdd: two scaled terms, one rounding") {
  Graph g;
  const int x = int8_value(g, "x", {1, 3}, per_tensor(1.0f, 1));
  const int w =
      int8_const(g, "w", {2, 3}, ints({1, 1, 1, -1, 2, 0}), Quantization{{1.0f, 0.5f}, {0, 0}, 0});
  const int b = int32_const(g, "b", {1, -1}, Quantization{{1.0f, 0.5f}, {0, 0}, 0});
  add_node(g, OpType::kQGemm, {x, w, b}, int8_value(g, "y", {}, per_tensor(1.0f, 0)));
  // x - zx = 0 1 2: 3 + 1 = 4 (M 1) and 2 - 1 = 1 (M 0.5: 0.5 -> 0).
  std::vector<int8_t> xv{1, 2, 3};
  CHECK(run_node<int8_t>(g, {xv.data()}) == ints({4, 0}));

  Graph a;
  const int qa = int8_value(a, "a", {5}, per_tensor(0.5f, 2));
  const int qb = int8_value(a, "b", {5}, per_tensor(0.25f, 0));
  add_node(a, OpType::kQAdd, {qa, qb}, int8_value(a, "y", {}, per_tensor(1.0f, 0)));
  // 8*0.5+4*0.25 = 5; -22*0.5+100*0.25 = 14; 1*0.5 = 0.5 -> 0; 3*0.5 = 1.5 -> 2; saturates.
  std::vector<int8_t> av{10, -20, 3, 5, 127}, bv{4, 100, 0, 0, 127};
  CHECK(run_node<int8_t>(a, {av.data(), bv.data()}) == ints({5, 14, 0, 2, 94}));
}

TEST_CASE("QGlobalAveragePool, QMaxPool and QConcat requantize like Quantize(Dequantize(x))") {
  Graph g;
  const int x = int8_value(g, "x", {1, 2, 2, 2}, per_tensor(1.0f, 0));
  add_node(g, OpType::kQGlobalAveragePool, {x}, int8_value(g, "y", {}, per_tensor(1.0f, 1)));
  // sums 12 and 10, M = 1 / (1 * 4): 3 and 2.5 -> 2; + zy 1.
  std::vector<int8_t> xv{1, 2, 3, 6, 1, 2, 3, 4};
  CHECK(run_node<int8_t>(g, {xv.data()}) == ints({4, 3}));

  NodeAttrs pool;
  pool.kernel_shape = {2, 2};
  pool.strides = {2, 2};
  Graph m;
  const int mx = int8_value(m, "x", {1, 1, 2, 4}, per_tensor(0.5f, 0));
  add_node(m, OpType::kQMaxPool, {mx}, int8_value(m, "y", {}, per_tensor(0.5f, 0)), pool);
  std::vector<int8_t> mv{-7, 3, 9, -128, 2, -1, 0, 1};
  CHECK(run_node<int8_t>(m, {mv.data()}) == ints({3, 9}));
  m.tensor(m.nodes[0].outputs[0]).quant = per_tensor(2.0f, -3);  // 3*0.5/2 = 0.75 -> 1; 9 -> 2
  CHECK(run_node<int8_t>(m, {mv.data()}) == ints({-2, -1}));

  Graph c;
  const int c0 = int8_value(c, "c0", {1, 1, 1, 2}, per_tensor(1.0f, 0));
  const int c1 = int8_value(c, "c1", {1, 1, 1, 2}, per_tensor(0.5f, 4));
  NodeAttrs ax;
  ax.axis = 1;
  add_node(c, OpType::kQConcat, {c0, c1}, int8_value(c, "y", {}, per_tensor(1.0f, 0)), ax);
  std::vector<int8_t> v0{-100, 7}, v1{14, 9};  // (14-4)*0.5 = 5; (9-4)*0.5 = 2.5 -> 2
  CHECK(run_node<int8_t>(c, {v0.data(), v1.data()}) == ints({-100, 7, 5, 2}));
}

TEST_CASE("int8 tensors never reach float ops, and int8 ops need their quantization") {
  Graph g;
  const int x = int8_value(g, "x", {4}, per_tensor(1.0f, 0));
  add_node(g, OpType::kRelu, {x}, test::add_value(g, "y"));
  Status st = infer_shapes(g);
  CHECK(st.code() == StatusCode::kUnsupported);
  CHECK(st.message().find("'x' is int8") != std::string::npos);
  CHECK(st.message().find("Relu_node") != std::string::npos);

  Graph q;
  const int qx = int8_value(q, "qx", {1, 1, 2, 2}, Quantization{});
  add_node(q, OpType::kQGlobalAveragePool, {qx}, int8_value(q, "y", {}, per_tensor(1.0f, 0)));
  st = infer_shapes(q);
  CHECK(st.code() == StatusCode::kInvalidModel);
  CHECK(st.message().find("'qx' needs one scale and zero point") != std::string::npos);

  Graph w;  // asymmetric weights are refused
  const int wx = int8_value(w, "x", {1, 1, 2, 2}, per_tensor(1.0f, 0));
  const int ww = int8_const(w, "w", {1, 1, 1, 1}, ints({1}), per_tensor(1.0f, 3));
  add_node(w, OpType::kQConv, {wx, ww}, int8_value(w, "y", {}, per_tensor(1.0f, 0)));
  st = infer_shapes(w);
  CHECK(st.message().find("'w' are not symmetric") != std::string::npos);
}

namespace {
// float x -> Quantize -> QConv (per-channel weights, bias) -> Dequantize -> y.
Graph int8_model() {
  Graph g;
  const int x = test::add_input(g, "x", {1, 2, 3, 3});
  const int xq = int8_value(g, "xq", {}, per_tensor(0.05f, -3));
  add_node(g, OpType::kQuantizeLinear, {x}, xq);
  std::vector<int8_t> wv(2 * 2 * 3 * 3);
  for (size_t i = 0; i < wv.size(); ++i) wv[i] = int8_t(int(i * 37 % 255) - 127);
  const int w = int8_const(g, "w", {2, 2, 3, 3}, wv, Quantization{{0.01f, 0.02f}, {0, 0}, 0});
  const int b = int32_const(g, "b", {100, -2000}, Quantization{{0.0005f, 0.001f}, {0, 0}, 0});
  NodeAttrs a;
  a.pads = {1, 1, 1, 1};
  a.qmin = -3;
  const int yq = int8_value(g, "yq", {}, per_tensor(0.1f, -3));
  add_node(g, OpType::kQConv, {xq, w, b}, yq, a);
  g.nodes.back().name = "qconv";
  const int y = test::add_value(g, "y");
  add_node(g, OpType::kDequantizeLinear, {yq}, y);
  g.outputs = {y};
  REQUIRE(infer_shapes(g).ok());
  return g;
}
}  // namespace

TEST_CASE(".tdm round trip keeps int8 constants, quantization and the int8 ops' parameters") {
  Graph g = int8_model();
  const std::string path = test::temp_path("int8_model.tdm");
  REQUIRE(write_model_file(path, g).ok());
  auto r = read_model_file(path);
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  const Graph& h = r->graph;
  REQUIRE(h.nodes.size() == 3);
  CHECK(h.nodes[1].op == OpType::kQConv);
  CHECK(h.nodes[1].attrs.qmin == -3);
  CHECK(h.nodes[1].attrs.pads == std::vector<int64_t>{1, 1, 1, 1});
  const Tensor& w = h.tensor(h.nodes[1].inputs[1]);
  CHECK(w.dtype == DType::kInt8);
  CHECK(w.quant == g.tensor(g.nodes[1].inputs[1]).quant);
  CHECK(std::memcmp(w.data->data, g.tensor(g.nodes[1].inputs[1]).data->data, 36) == 0);
  CHECK(h.tensor(h.nodes[1].inputs[2]).dtype == DType::kInt32);
  CHECK(h.tensor(h.nodes[0].outputs[0]).quant == per_tensor(0.05f, -3));
  CHECK(r->schema_version == kTdmSchemaVersion);
}
