// Converter mappings of Pow (float and integer exponents), Sqrt, Gelu
// (opset 20, both approximations) and LayerNormalization (opset 17, axis,
// epsilon, optional bias, unused extra outputs) and their errors.
#include <doctest/doctest.h>

#include "tests/onnx_convert_helpers.h"  // first: defines what the ONNX headers need
//
#include "formats/onnx/op_mappers.h"
#include "tests/helpers.h"

using namespace tandem;
using namespace tandem::test;

TEST_CASE("Pow and Sqrt map; an integer exponent becomes a float constant") {
  OnnxBuilder b(13);
  b.input("x", {1, 3, 4});
  b.init_floats("two", {}, {2.0f});
  b.init_ints("three", {3});
  b.node("Pow", {"x", "two"}, {"p"}, "pow");
  b.node("Pow", {"p", "three"}, {"q"}, "pow_int");
  b.node("Sqrt", {"q"}, {"y"}, "sqrt");
  b.output("y");
  Graph g = convert_ok(b, "map_pow.onnx");
  REQUIRE(g.nodes.size() == 3);
  CHECK(g.nodes[0].op == OpType::kPow);
  const Tensor& e = g.tensor(g.nodes[1].inputs[1]);
  REQUIRE(e.is_constant());
  CHECK(e.dtype == DType::kFloat32);
  CHECK(e.data->f32()[0] == 3.0f);
  CHECK(g.nodes[2].op == OpType::kSqrt);
  CHECK(g.tensor(g.nodes[2].outputs[0]).shape == Shape{1, 3, 4});
}

namespace {

// Maps one Gelu node through the mapper table directly: the converter admits
// opsets up to 17 (libonnx 1.12's checker and shape inference), and Gelu is an
// opset-20 op, so this is how its mapping is reached today.
Status map_gelu_node(const char* mode, Graph* out) {
  onnx_import::ImportContext ctx;
  ctx.opset = 20;
  int x = test::add_input(ctx.graph, "x", {2, 5});
  ctx.tensor_ids["x"] = x;
  ctx.shapes["x"] = {2, 5};
  onnx::NodeProto n;
  n.set_op_type("Gelu");
  n.set_name("g");
  n.add_input("x");
  n.add_output("y");
  if (*mode) OnnxBuilder::attr(&n, "approximate", std::string(mode));
  const onnx_import::OpMapper map = onnx_import::op_mappers().find("Gelu");
  REQUIRE(bool(map));
  Status st = map(ctx, n);
  *out = std::move(ctx.graph);
  return st;
}

}  // namespace

TEST_CASE("Gelu (opset 20): approximate none and tanh; anything else is an error") {
  for (const char* mode : {"", "none", "tanh"}) {
    CAPTURE(mode);
    Graph g;
    Status st = map_gelu_node(mode, &g);
    REQUIRE_MESSAGE(st.ok(), st.to_string());
    const Node& n = single(g, OpType::kGelu);
    CHECK(n.attrs.gelu_approximate ==
          (std::string(mode) == "tanh" ? GeluApproximate::kTanh : GeluApproximate::kErf));
  }
  Graph g;
  const std::string err = map_gelu_node("fast", &g).to_string();
  CHECK(contains(err, "'g'"));
  CHECK(contains(err, "fast"));
  // Whole models at opset 20 are refused by the opset gate, with the reason.
  CHECK(contains(convert_error(unary_model("Gelu", {2, 5}, 20), "map_gelu20.onnx").to_string(),
                 "opset 20"));
}

TEST_CASE("LayerNormalization (opset 17): axis to the end, epsilon, optional bias") {
  OnnxBuilder b(17);
  b.input("x", {2, 3, 4, 5});
  b.init_random("s1", {5}, 1);
  b.init_random("b1", {5}, 2);
  b.init_random("s2", {4, 5}, 3);
  auto* l1 = b.node("LayerNormalization", {"x", "s1", "b1"}, {"a"}, "ln_last");
  OnnxBuilder::attr(l1, "epsilon", 1e-6f);
  auto* l2 = b.node("LayerNormalization", {"a", "s2"}, {"y"}, "ln_two");
  OnnxBuilder::attr(l2, "axis", int64_t{-2});
  b.output("y");
  Graph g = convert_ok(b, "map_ln.onnx");
  REQUIRE(g.nodes.size() == 2);
  CHECK(g.nodes[0].op == OpType::kLayerNormalization);
  CHECK(g.nodes[0].attrs.axes == std::vector<int64_t>{3});
  CHECK(g.nodes[0].attrs.epsilon == doctest::Approx(1e-6f));
  CHECK(g.nodes[0].inputs.size() == 3);
  CHECK(g.nodes[1].attrs.axes == std::vector<int64_t>{2, 3});
  CHECK(g.nodes[1].attrs.epsilon == doctest::Approx(1e-5f));
  CHECK(g.nodes[1].inputs.size() == 2);
  CHECK(g.tensor(g.nodes[1].outputs[0]).shape == Shape{2, 3, 4, 5});
}

TEST_CASE("LayerNormalization: a used Mean output or a wrong scale is an error naming the node") {
  {
    OnnxBuilder b(17);
    b.input("x", {2, 5});
    b.init_random("s", {5}, 1);
    b.node("LayerNormalization", {"x", "s"}, {"y", "mean"}, "ln_mean");
    b.output("y");
    b.output("mean");
    CHECK(contains(convert_error(b, "map_ln_mean.onnx").to_string(), "ln_mean"));
  }
  OnnxBuilder b(17);
  b.input("x", {2, 5});
  b.init_random("s", {4}, 1);
  b.node("LayerNormalization", {"x", "s"}, {"y"}, "ln_bad");
  b.output("y");
  const std::string err = convert_error(b, "map_ln_bad.onnx").to_string();
  CHECK(contains(err, "ln_bad"));
}
