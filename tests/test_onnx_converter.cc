// ONNX converter: per-op mapping (attributes, constant inputs -> NodeAttrs,
// negative axes), shape-chain folding, and every bad-input path.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>

#include "formats/onnx/converter.h"
#include "kernels/reference/reference_kernels.h"
#include "tests/onnx_builder.h"
#include "tests/onnx_convert_helpers.h"
#include "tests/skip.h"

using namespace tandem;
namespace fs = std::filesystem;

using namespace tandem::test;

TEST_CASE("Conv: attributes, kernel from the weight, optional bias, auto_pad") {
  OnnxBuilder b;
  b.input("x", {1, 4, 9, 9});
  b.init_random("w", {8, 2, 3, 3}, 1);
  b.init_random("bias", {8}, 2);
  auto* c = b.node("Conv", {"x", "w", "bias"}, {"y"}, "conv");
  OnnxBuilder::attr(c, "strides", std::vector<int64_t>{2, 1});
  OnnxBuilder::attr(c, "pads", std::vector<int64_t>{1, 0, 2, 1});
  OnnxBuilder::attr(c, "dilations", std::vector<int64_t>{1, 2});
  OnnxBuilder::attr(c, "group", int64_t{2});
  b.output("y");
  Graph g = convert_ok(b, "conv.onnx");
  const Node& n = single(g, OpType::kConv);
  CHECK(n.name == "conv");
  CHECK(n.attrs.kernel_shape == std::vector<int64_t>{3, 3});
  CHECK(n.attrs.strides == std::vector<int64_t>{2, 1});
  CHECK(n.attrs.pads == std::vector<int64_t>{1, 0, 2, 1});
  CHECK(n.attrs.dilations == std::vector<int64_t>{1, 2});
  CHECK(n.attrs.group == 2);
  REQUIRE(n.inputs.size() == 3);
  CHECK(g.tensor(n.inputs[1]).is_constant());
  CHECK(g.tensor(n.inputs[1]).shape == Shape{8, 2, 3, 3});
  // ONNX shape inference gave the output its shape: (9+1+2-3)/2+1 = 5, (9+0+1-5)/1+1 = 6.
  CHECK(g.tensor(n.outputs[0]).shape == Shape{1, 8, 5, 6});

  OnnxBuilder nb;
  nb.input("x", {1, 3, 7, 7});
  nb.init_random("w", {4, 3, 3, 3}, 3);
  auto* s = nb.node("Conv", {"x", "w"}, {"y"}, "same");
  OnnxBuilder::attr(s, "auto_pad", std::string("SAME_UPPER"));
  OnnxBuilder::attr(s, "strides", std::vector<int64_t>{2, 2});
  nb.output("y");
  Graph g2 = convert_ok(nb, "conv_same.onnx");
  const Node& n2 = single(g2, OpType::kConv);
  CHECK(n2.inputs.size() == 2);  // no bias
  // out 4, total pad (4-1)*2+3-7 = 2 -> 1 each side.
  CHECK(n2.attrs.pads == std::vector<int64_t>{1, 1, 1, 1});
  CHECK(n2.attrs.strides == std::vector<int64_t>{2, 2});
  CHECK(n2.attrs.dilations == std::vector<int64_t>{1, 1});
}

TEST_CASE("Pooling: MaxPool ceil_mode, AveragePool count_include_pad, global pools") {
  OnnxBuilder b;
  b.input("x", {1, 2, 8, 8});
  auto* mp = b.node("MaxPool", {"x"}, {"m"}, "mp");
  OnnxBuilder::attr(mp, "kernel_shape", std::vector<int64_t>{3, 3});
  OnnxBuilder::attr(mp, "strides", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(mp, "ceil_mode", int64_t{1});
  auto* ap = b.node("AveragePool", {"m"}, {"a"}, "ap");
  OnnxBuilder::attr(ap, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(ap, "pads", std::vector<int64_t>{1, 1, 1, 1});
  OnnxBuilder::attr(ap, "count_include_pad", int64_t{1});
  b.node("GlobalAveragePool", {"a"}, {"g"}, "gap");
  b.node("GlobalMaxPool", {"a"}, {"h"}, "gmp");
  b.output("g");
  b.output("h");
  Graph g = convert_ok(b, "pool.onnx");
  const Node& m = single(g, OpType::kMaxPool);
  CHECK(m.attrs.kernel_shape == std::vector<int64_t>{3, 3});
  CHECK(m.attrs.ceil_mode);
  CHECK(m.attrs.pads == std::vector<int64_t>{0, 0, 0, 0});
  CHECK(g.tensor(m.outputs[0]).shape == Shape{1, 2, 4, 4});  // ceil((8-3)/2)+1
  const Node& a = single(g, OpType::kAveragePool);
  CHECK(a.attrs.count_include_pad);
  CHECK_FALSE(a.attrs.ceil_mode);
  CHECK(a.attrs.pads == std::vector<int64_t>{1, 1, 1, 1});
  single(g, OpType::kGlobalAveragePool);
  single(g, OpType::kGlobalMaxPool);
  CHECK(g.outputs.size() == 2);
}

TEST_CASE("Activations and their attributes (defaults and set)") {
  struct Case {
    const char* op;
    OpType expect;
  };
  for (Case c :
       {Case{"Relu", OpType::kRelu}, Case{"Sigmoid", OpType::kSigmoid}, Case{"Tanh", OpType::kTanh},
        Case{"Erf", OpType::kErf}, Case{"HardSwish", OpType::kHardSwish},
        Case{"Identity", OpType::kIdentity}, Case{"Dropout", OpType::kIdentity}}) {
    INFO(c.op);
    Graph g = convert_ok(unary_model(c.op, {1, 3, 2, 2}, 14), std::string("act_") + c.op + ".onnx");
    REQUIRE(g.nodes.size() == 1);
    CHECK(g.nodes[0].op == c.expect);
    CHECK(g.tensor(g.nodes[0].outputs[0]).shape == Shape{1, 3, 2, 2});
  }
  Graph hs = convert_ok(unary_model("HardSigmoid", {2, 3}), "hsig_default.onnx");
  CHECK(hs.nodes[0].attrs.alpha == doctest::Approx(0.2f));
  CHECK(hs.nodes[0].attrs.beta == doctest::Approx(0.5f));
  OnnxBuilder b = unary_model("HardSigmoid", {2, 3});
  OnnxBuilder::attr(b.graph()->mutable_node(0), "alpha", 1.0f / 6);
  OnnxBuilder::attr(b.graph()->mutable_node(0), "beta", 0.5f);
  Graph hs2 = convert_ok(b, "hsig.onnx");
  CHECK(hs2.nodes[0].attrs.alpha == doctest::Approx(1.0f / 6));

  Graph lr = convert_ok(unary_model("LeakyRelu", {2, 3}), "leaky_default.onnx");
  CHECK(lr.nodes[0].op == OpType::kLeakyRelu);
  CHECK(lr.nodes[0].attrs.alpha == doctest::Approx(0.01f));
  OnnxBuilder lb = unary_model("LeakyRelu", {2, 3});
  OnnxBuilder::attr(lb.graph()->mutable_node(0), "alpha", 0.2f);
  CHECK(convert_ok(lb, "leaky.onnx").nodes[0].attrs.alpha == doctest::Approx(0.2f));
}

TEST_CASE("Clip bounds come from constant inputs; absent bounds are infinite") {
  OnnxBuilder b;
  b.input("x", {1, 4});
  b.init_floats("lo", {}, {0.0f});
  b.init_floats("hi", {}, {6.0f});
  b.node("Clip", {"x", "lo", "hi"}, {"a"}, "relu6");
  b.node("Clip", {"a", "", "hi"}, {"c"}, "max_only");
  b.node("Clip", {"c"}, {"d"}, "none");
  b.output("d");
  Graph g = convert_ok(b, "clip.onnx");
  REQUIRE(g.nodes.size() == 3);
  CHECK(g.nodes[0].attrs.clip_min == 0.0f);
  CHECK(g.nodes[0].attrs.clip_max == 6.0f);
  CHECK(g.nodes[0].inputs.size() == 1);  // bounds are attributes, not tensors
  CHECK(std::isinf(g.nodes[1].attrs.clip_min));
  CHECK(g.nodes[1].attrs.clip_max == 6.0f);
  CHECK(std::isinf(g.nodes[2].attrs.clip_min));
  CHECK(std::isinf(g.nodes[2].attrs.clip_max));

  OnnxBuilder rt;  // a bound computed at run time cannot become an attribute
  rt.input("x", {1, 4});
  rt.input("m", {});
  rt.node("Clip", {"x", "m"}, {"y"}, "dyn");
  rt.output("y");
  Status st = convert_error(rt, "clip_rt.onnx");
  CHECK(contains(st.message(), "'dyn'"));
  CHECK(contains(st.message(), "conversion time"));
}

TEST_CASE("Binary ops keep float constants as constant tensors") {
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    INFO(op);
    OnnxBuilder b;
    b.input("x", {1, 3, 2, 2});
    b.init_floats("k", {1, 3, 1, 1}, {1, 2, 3});
    b.node(op, {"x", "k"}, {"y"}, "bin");
    b.output("y");
    Graph g = convert_ok(b, std::string("bin_") + op + ".onnx");
    REQUIRE(g.nodes.size() == 1);
    CHECK(op_name(g.nodes[0].op) == op);
    const Tensor& k = g.tensor(g.nodes[0].inputs[1]);
    REQUIRE(k.is_constant());
    CHECK(k.shape == Shape{1, 3, 1, 1});
    CHECK(k.data->f32()[2] == 3.0f);
  }
  OnnxBuilder sum;
  sum.input("a", {2, 2});
  sum.input("b", {2, 2});
  sum.node("Sum", {"a", "b"}, {"y"}, "s");
  sum.output("y");
  CHECK(convert_ok(sum, "sum.onnx").nodes[0].op == OpType::kAdd);
}

TEST_CASE("Concat, Transpose, Flatten: negative axes are normalised") {
  OnnxBuilder b;
  b.input("x", {1, 2, 3, 4});
  b.input("z", {1, 5, 3, 4});
  auto* c = b.node("Concat", {"x", "z"}, {"c"}, "cat");
  OnnxBuilder::attr(c, "axis", int64_t{-3});
  b.node("Transpose", {"c"}, {"t"}, "tr_default");
  auto* t2 = b.node("Transpose", {"t"}, {"t2"}, "tr");
  OnnxBuilder::attr(t2, "perm", std::vector<int64_t>{0, 3, 2, 1});
  auto* f = b.node("Flatten", {"t2"}, {"f"}, "flat");
  OnnxBuilder::attr(f, "axis", int64_t{-2});
  b.output("f");
  Graph g = convert_ok(b, "layout.onnx");
  CHECK(single(g, OpType::kConcat).attrs.axis == 1);
  CHECK(g.tensor(single(g, OpType::kConcat).outputs[0]).shape == Shape{1, 7, 3, 4});
  CHECK(g.nodes[1].attrs.perm == std::vector<int64_t>{3, 2, 1, 0});
  CHECK(g.nodes[2].attrs.perm == std::vector<int64_t>{0, 3, 2, 1});
  CHECK(single(g, OpType::kFlatten).attrs.axis == 2);

  OnnxBuilder f0 = unary_model("Flatten", {2, 3, 4});
  OnnxBuilder::attr(f0.graph()->mutable_node(0), "axis", int64_t{3});  // axis == rank is allowed
  CHECK(convert_ok(f0, "flatten_rank.onnx").nodes[0].attrs.axis == 3);
  OnnxBuilder bad = unary_model("Flatten", {2, 3});
  OnnxBuilder::attr(bad.graph()->mutable_node(0), "axis", int64_t{5});
  CHECK(contains(convert_error(bad, "flatten_bad.onnx").message(), "axis 5"));
}

TEST_CASE("Split: sizes from the input (opset 13), the attribute (opset 11), or equal parts") {
  OnnxBuilder b;
  b.input("x", {1, 6, 2});
  b.init_ints("sizes", {2, 4});
  auto* s = b.node("Split", {"x", "sizes"}, {"a", "c"}, "split");
  OnnxBuilder::attr(s, "axis", int64_t{-2});
  b.output("a");
  b.output("c");
  Graph g = convert_ok(b, "split13.onnx");
  const Node& n = single(g, OpType::kSplit);
  CHECK(n.attrs.axis == 1);
  CHECK(n.attrs.split == std::vector<int64_t>{2, 4});
  CHECK(n.inputs.size() == 1);
  CHECK(g.tensor(n.outputs[1]).shape == Shape{1, 4, 2});

  OnnxBuilder b11(11);
  b11.input("x", {1, 6, 2});
  auto* s11 = b11.node("Split", {"x"}, {"a", "c"}, "split");
  OnnxBuilder::attr(s11, "axis", int64_t{1});
  OnnxBuilder::attr(s11, "split", std::vector<int64_t>{5, 1});
  b11.output("a");
  b11.output("c");
  CHECK(single(convert_ok(b11, "split11.onnx"), OpType::kSplit).attrs.split ==
        std::vector<int64_t>{5, 1});

  OnnxBuilder eq;
  eq.input("x", {1, 6, 2});
  auto* se = eq.node("Split", {"x"}, {"a", "c", "d"}, "split");
  OnnxBuilder::attr(se, "axis", int64_t{1});
  eq.output("a");
  eq.output("c");
  eq.output("d");
  CHECK(single(convert_ok(eq, "split_eq.onnx"), OpType::kSplit).attrs.split ==
        std::vector<int64_t>{2, 2, 2});
}

TEST_CASE("Slice: starts/ends/axes/steps become attributes; defaults filled; axes normalised") {
  OnnxBuilder b;
  b.input("x", {1, 8, 6});
  b.init_ints("starts", {1, -4});
  b.init_ints("ends", {7, 1000});
  b.init_ints("axes", {-2, 2});
  b.init_ints("steps", {2, 1});
  b.node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"}, "slice");
  b.init_ints("s2", {0});
  b.init_ints("e2", {1});
  b.node("Slice", {"y", "s2", "e2"}, {"z"}, "slice_default");
  b.output("z");
  Graph g = convert_ok(b, "slice.onnx");
  REQUIRE(g.nodes.size() == 2);
  const Node& n = g.nodes[0];
  CHECK(n.attrs.starts == std::vector<int64_t>{1, -4});
  CHECK(n.attrs.ends == std::vector<int64_t>{7, 1000});
  CHECK(n.attrs.axes == std::vector<int64_t>{1, 2});
  CHECK(n.attrs.steps == std::vector<int64_t>{2, 1});
  CHECK(n.inputs.size() == 1);
  CHECK(g.tensor(n.outputs[0]).shape == Shape{1, 3, 4});
  CHECK(g.nodes[1].attrs.axes == std::vector<int64_t>{0});
  CHECK(g.nodes[1].attrs.steps == std::vector<int64_t>{1});
}

// ONNX cannot infer a Slice of a Reshape whose shape is computed; the
// converter's own inference (graph's slice_dims) clamps int64 extremes.
TEST_CASE("Slice after computed shapes: extreme starts, ends and steps give one element") {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  OnnxBuilder b;
  b.input("x", {1, 8});
  b.node("Shape", {"x"}, {"s"}, "shape");
  b.init_ints("i0", {0});
  b.node("Gather", {"s", "i0"}, {"n"}, "gather");
  b.init_ints("m1", {-1});
  auto* cat = b.node("Concat", {"n", "m1"}, {"t"}, "cat");
  OnnxBuilder::attr(cat, "axis", int64_t{0});
  b.node("Reshape", {"x", "t"}, {"r"}, "reshape");
  b.init_ints("st", {kMax});
  b.init_ints("en", {kMin});
  b.init_ints("ax", {1});
  b.init_ints("sp", {kMin});
  b.node("Slice", {"r", "st", "en", "ax", "sp"}, {"y"}, "slice");
  b.output("y");
  Graph g = convert_ok(b, "slice_extremes.onnx");
  CHECK(g.tensor(single(g, OpType::kSlice).outputs[0]).shape == Shape{1, 1});
}

TEST_CASE("Reshape: constant shape with 0 and -1 resolved; Squeeze/Unsqueeze become Reshape") {
  OnnxBuilder b;
  b.input("x", {2, 3, 4});
  b.init_ints("shape", {0, -1});
  b.node("Reshape", {"x", "shape"}, {"r"}, "reshape");
  b.init_ints("ax", {1});
  b.node("Unsqueeze", {"r", "ax"}, {"u"}, "unsq");
  b.node("Squeeze", {"u", "ax"}, {"s"}, "sq");
  b.output("s");
  Graph g = convert_ok(b, "reshape.onnx");
  REQUIRE(g.nodes.size() == 3);
  for (const Node& n : g.nodes) CHECK(n.op == OpType::kReshape);
  CHECK(g.nodes[0].attrs.shape == std::vector<int64_t>{2, 12});
  CHECK(g.nodes[1].attrs.shape == std::vector<int64_t>{2, 1, 12});
  CHECK(g.nodes[2].attrs.shape == std::vector<int64_t>{2, 12});

  OnnxBuilder bad;
  bad.input("x", {2, 3});
  bad.init_ints("shape", {4, 2});
  bad.node("Reshape", {"x", "shape"}, {"r"}, "bad_reshape");
  bad.output("r");
  CHECK(contains(convert_error(bad, "reshape_bad.onnx").message(), "'bad_reshape'"));
}

TEST_CASE("Pad: pads and constant value from inputs, modes") {
  OnnxBuilder b;
  b.input("x", {1, 2, 3, 3});
  b.init_ints("pads", {0, 0, 1, 2, 0, 0, 3, 4});
  b.init_floats("v", {}, {1.5f});
  b.node("Pad", {"x", "pads", "v"}, {"p"}, "pad");
  auto* r = b.node("Pad", {"p", "pads"}, {"q"}, "reflect");
  OnnxBuilder::attr(r, "mode", std::string("reflect"));
  auto* e = b.node("Pad", {"q", "pads"}, {"z"}, "edge");
  OnnxBuilder::attr(e, "mode", std::string("edge"));
  b.output("z");
  Graph g = convert_ok(b, "pad.onnx");
  REQUIRE(g.nodes.size() == 3);
  CHECK(g.nodes[0].attrs.pads == std::vector<int64_t>{0, 0, 1, 2, 0, 0, 3, 4});
  CHECK(g.nodes[0].attrs.pad_value == 1.5f);
  CHECK(g.nodes[0].attrs.pad_mode == PadMode::kConstant);
  CHECK(g.nodes[1].attrs.pad_mode == PadMode::kReflect);
  CHECK(g.nodes[1].attrs.pad_value == 0.0f);
  CHECK(g.nodes[2].attrs.pad_mode == PadMode::kEdge);
  CHECK(g.tensor(g.nodes[0].outputs[0]).shape == Shape{1, 2, 7, 9});

  OnnxBuilder
      z;  // torch writes all-zero Pads before AveragePool: an Identity, removed by the passes
  z.input("x", {1, 2, 3, 3});
  z.init_ints("pads", {0, 0, 0, 0, 0, 0, 0, 0});
  z.node("Pad", {"x", "pads"}, {"p"}, "zero_pad");
  z.output("p");
  CHECK(convert_ok(z, "pad_zero.onnx").nodes[0].op == OpType::kIdentity);
}

TEST_CASE("Gemm, MatMul, Softmax, ReduceMean, BatchNormalization") {
  OnnxBuilder b;
  b.input("x", {2, 8});
  b.init_random("w", {4, 8}, 5);
  b.init_random("c", {4}, 6);
  auto* gm = b.node("Gemm", {"x", "w", "c"}, {"y"}, "fc");
  OnnxBuilder::attr(gm, "transB", int64_t{1});
  OnnxBuilder::attr(gm, "alpha", 0.5f);
  OnnxBuilder::attr(gm, "beta", 2.0f);
  b.init_random("m", {4, 3}, 7);
  b.node("MatMul", {"y", "m"}, {"mm"}, "matmul");
  b.node("Softmax", {"mm"}, {"sm"}, "softmax");
  b.output("sm");
  Graph g = convert_ok(b, "linear.onnx");
  const Node& fc = single(g, OpType::kGemm);
  CHECK(fc.attrs.trans_b);
  CHECK_FALSE(fc.attrs.trans_a);
  CHECK(fc.attrs.alpha == 0.5f);
  CHECK(fc.attrs.beta == 2.0f);
  CHECK(fc.inputs.size() == 3);
  CHECK(g.tensor(single(g, OpType::kMatMul).outputs[0]).shape == Shape{2, 3});
  CHECK(single(g, OpType::kSoftmax).attrs.axis == 1);  // -1 on rank 2

  OnnxBuilder s11 = unary_model("Softmax", {3, 5}, 11);  // opset 11 default axis 1
  CHECK(convert_ok(s11, "softmax11.onnx").nodes[0].attrs.axis == 1);
  OnnxBuilder s11bad =
      unary_model("Softmax", {2, 3, 5}, 11);  // flattens 2 axes: not one softmax axis
  CHECK(convert_error(s11bad, "softmax11_bad.onnx").code() == StatusCode::kUnsupported);

  OnnxBuilder rm = unary_model("ReduceMean", {1, 4, 3, 3});
  OnnxBuilder::attr(rm.graph()->mutable_node(0), "axes", std::vector<int64_t>{-1, 1});
  OnnxBuilder::attr(rm.graph()->mutable_node(0), "keepdims", int64_t{0});
  Graph rg = convert_ok(rm, "reducemean.onnx");
  CHECK(rg.nodes[0].op == OpType::kReduceMean);
  CHECK(rg.nodes[0].attrs.axes == std::vector<int64_t>{3, 1});
  CHECK_FALSE(rg.nodes[0].attrs.keepdims);
  CHECK(rg.tensor(rg.nodes[0].outputs[0]).shape == Shape{1, 3});
  OnnxBuilder gap = unary_model("ReduceMean", {1, 4, 3, 3});
  OnnxBuilder::attr(gap.graph()->mutable_node(0), "axes", std::vector<int64_t>{2, 3});
  CHECK(convert_ok(gap, "reducemean_hw.onnx").nodes[0].op == OpType::kGlobalAveragePool);

  OnnxBuilder bn;
  bn.input("x", {1, 3, 2, 2});
  for (const char* p : {"scale", "bias", "mean", "var"}) bn.init_floats(p, {3}, {1, 2, 3});
  auto* bnn = bn.node("BatchNormalization", {"x", "scale", "bias", "mean", "var"}, {"y"}, "bn");
  OnnxBuilder::attr(bnn, "epsilon", 1e-3f);
  bn.output("y");
  Graph bn_graph = convert_ok(bn, "bn.onnx");  // keeps the node alive for the checks
  const Node& bnode = single(bn_graph, OpType::kBatchNormalization);
  CHECK(bnode.attrs.epsilon == doctest::Approx(1e-3f));
  CHECK(bnode.inputs.size() == 5);
}

TEST_CASE("Shape -> Gather -> Unsqueeze -> Concat chains fold into Reshape's shape") {
  OnnxBuilder b;
  b.input("x", {1, 8, 2, 2});
  b.node("Shape", {"x"}, {"shape"}, "shape");
  auto* k = b.node("Constant", {}, {"zero"}, "zero");
  auto* kv = k->add_attribute();
  kv->set_name("value");
  kv->set_type(onnx::AttributeProto::TENSOR);
  kv->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  kv->mutable_t()->add_int64_data(0);
  b.node("Gather", {"shape", "zero"}, {"batch"}, "gather");
  b.init_ints("axes0", {0});
  b.node("Unsqueeze", {"batch", "axes0"}, {"batch1"}, "unsqueeze");
  b.init_ints("minus1", {-1});
  auto* cat = b.node("Concat", {"batch1", "minus1"}, {"target"}, "concat");
  OnnxBuilder::attr(cat, "axis", int64_t{0});
  b.node("Reshape", {"x", "target"}, {"y"}, "reshape");
  b.output("y");
  auto r = convert_onnx(b.save("chain.onnx"), raw_mapping());
  REQUIRE(r.ok());
  const Graph& g = r->graph;
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].op == OpType::kReshape);
  CHECK(g.nodes[0].attrs.shape == std::vector<int64_t>{1, 32});
  CHECK(r->summary.folded_nodes == 5);
  CHECK(r->summary.folded_by_op.at("Shape") == 1);
  CHECK(r->summary.onnx_nodes == 6);
  CHECK(r->summary.nodes_before_passes == 1);
  std::string text = format_convert_summary(r->summary);
  CHECK(contains(text, "Gather 1"));
  CHECK(contains(text, "6 ONNX -> 1 mapped"));

  OnnxBuilder rt;  // Gather on run-time data is not a shape computation: a Gather node
  rt.input("x", {4, 3});
  rt.init_ints("idx", {1});
  rt.node("Gather", {"x", "idx"}, {"y"}, "embed");
  rt.output("y");
  Graph gathered = convert_ok(rt, "gather_rt.onnx");
  CHECK(single(gathered, OpType::kGather).attrs.indices == std::vector<int64_t>{1});
}

TEST_CASE("Summary counts parameters and MACs") {
  OnnxBuilder b;
  b.input("x", {1, 3, 8, 8});
  b.init_random("w", {4, 3, 3, 3}, 1);
  auto* c = b.node("Conv", {"x", "w"}, {"y"}, "conv");
  OnnxBuilder::attr(c, "pads", std::vector<int64_t>{1, 1, 1, 1});
  b.node("Flatten", {"y"}, {"f"}, "flat");
  b.init_random("fw", {10, 256}, 2);
  b.init_random("fb", {10}, 3);
  auto* fc = b.node("Gemm", {"f", "fw", "fb"}, {"z"}, "fc");
  OnnxBuilder::attr(fc, "transB", int64_t{1});
  b.output("z");
  auto r = convert_onnx(b.save("summary.onnx"), raw_mapping());
  REQUIRE(r.ok());
  CHECK(r->summary.parameters == 4 * 27 + 2560 + 10);
  CHECK(r->summary.macs == 4 * 64 * 27 + 10 * 256);
  CHECK(r->summary.op_counts.at("Conv") == 1);
  CHECK(r->graph.metadata.source_hash.size() == 16);
}

// ---- bad input ---------------------------------------------------------------------------------

TEST_CASE("a file that is not ONNX, empty, missing, or truncated anywhere is a clean error") {
  std::string text = test::temp_path("not_onnx.onnx");
  std::ofstream(text) << "hello, this is a text file and not a protobuf model\n";
  auto r = convert_onnx(text);
  REQUIRE_FALSE(r.ok());
  CHECK(contains(r.status().message(), "not an ONNX model"));
  CHECK(contains(r.status().message(), "not_onnx.onnx"));

  std::string empty = test::temp_path("empty.onnx");
  std::ofstream(empty).close();
  CHECK(convert_onnx(empty).status().code() == StatusCode::kInvalidModel);
  CHECK(convert_onnx(test::temp_path("no_such_model.onnx")).status().code() ==
        StatusCode::kNotFound);

  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4});
  b.init_random("w", {2, 2, 1, 1}, 1);
  b.node("Conv", {"x", "w"}, {"y"}, "conv");
  b.node("Relu", {"y"}, {"z"}, "relu");
  b.output("z");
  std::string bytes = b.model.SerializeAsString();
  std::string path = test::temp_path("truncated.onnx");
  int failures = 0;
  for (size_t len = 0; len < bytes.size(); ++len) {
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(len));
    auto t = convert_onnx(path, raw_mapping());
    if (!t.ok())
      ++failures;
    else
      INFO("prefix of " << len << " bytes converted");
  }
  CHECK(failures == static_cast<int>(bytes.size()));  // every strict prefix fails, none crashes
  for (size_t len : {size_t(0), bytes.size() / 2, bytes.size() - 1})
    CHECK_FALSE(convert_onnx_bytes(bytes.data(), len, "mem.onnx", raw_mapping()).ok());
  auto mem = convert_onnx_bytes(bytes.data(), bytes.size(), "mem.onnx", raw_mapping());
  REQUIRE(mem.ok());
  CHECK(mem->graph.nodes.size() == 2);
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  CHECK(convert_onnx(path, raw_mapping()).ok());
}

TEST_CASE("unsupported ops: one error listing every op type with its node names") {
  OnnxBuilder b;
  b.input("x", {1, 4});
  b.node("Sin", {"x"}, {"a"}, "sin_1");
  b.node("Relu", {"a"}, {"b"}, "relu");
  b.node("Sin", {"b"}, {"c"}, "sin_2");
  b.node("Floor", {"c"}, {"d"}, "floor_1");
  auto* custom = b.node("MyOp", {"d"}, {"e"}, "custom_1");
  custom->set_domain("com.example");
  auto* op = b.model.add_opset_import();
  op->set_domain("com.example");
  op->set_version(1);
  b.output("e");
  Status st = convert_error(b, "unsupported.onnx");
  CHECK(st.code() == StatusCode::kUnsupported);
  for (const char* part : {"3 unsupported op types", "Sin (2 nodes: 'sin_1', 'sin_2')",
                           "Floor (1 node: 'floor_1')", "com.example::MyOp", "'custom_1'"})
    CHECK_MESSAGE(contains(st.message(), part), part << " in: " << st.message());
  CHECK_FALSE(contains(st.message(), "relu"));
}

TEST_CASE("dynamic input shapes need --input-shape, which fixes them") {
  OnnxBuilder b;
  b.input("image", {-1, 3, 4, 4});
  b.init_random("w", {2, 3, 1, 1}, 1);
  b.node("Conv", {"image", "w"}, {"y"}, "conv");
  b.node("Flatten", {"y"}, {"z"}, "flat");
  b.output("z");
  Status st = convert_error(b, "dynamic.onnx");
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK(contains(st.message(), "'image'"));
  CHECK(contains(st.message(), "Nx3x4x4"));
  CHECK(contains(st.message(), "--input-shape image="));

  ConvertOptions o = raw_mapping();
  o.input_shapes["image"] = {2, 3, 4, 4};
  Graph g = convert_ok(b, "dynamic.onnx", o);
  CHECK(g.tensor(g.inputs[0]).shape == Shape{2, 3, 4, 4});
  CHECK(g.tensor(g.outputs[0]).shape == Shape{2, 32});

  ConvertOptions bare = raw_mapping();
  bare.input_shapes[""] = {1, 3, 4, 4};  // a bare 1x3x4x4 names the only input
  CHECK(convert_ok(b, "dynamic.onnx", bare).tensor(0).shape == Shape{1, 3, 4, 4});

  ConvertOptions wrong = raw_mapping();
  wrong.input_shapes["nope"] = {1, 3, 4, 4};
  Status w = convert_error(b, "dynamic.onnx", wrong);
  CHECK(contains(w.message(), "'nope'"));
  CHECK(contains(w.message(), "'image'"));
  ConvertOptions rank = raw_mapping();
  rank.input_shapes["image"] = {3, 4, 4};
  CHECK(convert_error(b, "dynamic.onnx", rank).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("parse_input_shape") {
  auto a = parse_input_shape("input=1x3x224x224");
  REQUIRE(a.ok());
  CHECK(a->first == "input");
  CHECK(a->second == Shape{1, 3, 224, 224});
  auto b = parse_input_shape("1,3,8,8");
  REQUIRE(b.ok());
  CHECK(b->first.empty());
  CHECK(b->second == Shape{1, 3, 8, 8});
  auto c = parse_input_shape("a:b=2x4");  // names may hold ':' (torch's "onnx::Conv_0")
  REQUIRE(c.ok());
  CHECK(c->first == "a:b");
  for (const char* bad : {"x=", "x=1xx3", "x=0x3", "=1x3", "x=-1x3", "x=1x3x", "x=abc"}) {
    INFO(bad);
    CHECK_FALSE(parse_input_shape(bad).ok());
  }
}

TEST_CASE("external data: read next to the model; a missing data file is a clean error") {
  fs::path dir = fs::path(test::temp_path("external_model"));
  fs::create_directories(dir);
  std::vector<float> w = test::random_floats(2 * 3, 9);
  {
    std::ofstream data(dir / "weights.bin", std::ios::binary | std::ios::trunc);
    data.write("PAD!", 4);  // the tensor starts at offset 4
    data.write(reinterpret_cast<const char*>(w.data()), static_cast<std::streamsize>(w.size() * 4));
  }
  OnnxBuilder b;
  b.input("x", {1, 3});
  auto* t = b.graph()->add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(3);
  t->add_dims(2);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  for (auto [k, v] : {std::pair<const char*, std::string>{"location", "weights.bin"},
                      {"offset", "4"},
                      {"length", "24"}}) {
    auto* e = t->add_external_data();
    e->set_key(k);
    e->set_value(v);
  }
  b.node("MatMul", {"x", "w"}, {"y"}, "mm");
  b.output("y");
  std::string path = (dir / "model.onnx").string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    b.model.SerializeToOstream(&out);
  }
  auto r = convert_onnx(path, raw_mapping());
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  const Tensor& wt = r->graph.tensor(r->graph.nodes[0].inputs[1]);
  REQUIRE(wt.is_constant());
  CHECK(std::vector<float>(wt.data->f32(), wt.data->f32() + 6) == w);

  fs::remove(dir / "weights.bin");
  auto missing = convert_onnx(path, raw_mapping());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK(contains(missing.status().message(), "weights.bin"));
  CHECK(contains(missing.status().message(), "'w'"));

  t->mutable_external_data(0)->set_value("../escape.bin");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    b.model.SerializeToOstream(&out);
  }
  CHECK(contains(convert_onnx(path, raw_mapping()).status().message(), "outside the model folder"));
}

TEST_CASE("non-float32 graphs are refused, naming the tensor") {
  OnnxBuilder i;
  i.input("x", {1, 4}, onnx::TensorProto::DOUBLE);
  i.node("Relu", {"x"}, {"y"}, "relu");
  i.output("y", onnx::TensorProto::DOUBLE);
  Status st = convert_error(i, "double_input.onnx");
  CHECK(st.code() == StatusCode::kUnsupported);
  CHECK(contains(st.message(), "'x'"));
  CHECK(contains(st.message(), "DOUBLE"));

  OnnxBuilder w;
  w.input("x", {1, 4});
  auto* t = w.graph()->add_initializer();
  t->set_name("h");
  t->set_data_type(onnx::TensorProto::FLOAT16);
  t->add_dims(4);
  t->set_raw_data(std::string(8, '\0'));
  w.node("Cast", {"h"}, {"hf"}, "cast");
  OnnxBuilder::attr(w.graph()->mutable_node(0), "to", int64_t{onnx::TensorProto::FLOAT});
  w.node("Add", {"x", "hf"}, {"y"}, "add");
  w.output("y");
  Status wst = convert_error(w, "half_weight.onnx");
  CHECK(wst.code() == StatusCode::kUnsupported);
  CHECK(contains(wst.message(), "FLOAT16"));
}

TEST_CASE("opsets outside 11..17 and used extra outputs are refused") {
  OnnxBuilder old = unary_model("Relu", {1, 4}, 9);
  Status st = convert_error(old, "opset9.onnx");
  CHECK(st.code() == StatusCode::kUnsupported);
  CHECK(contains(st.message(), "opset 9"));

  OnnxBuilder d(13);
  d.input("x", {1, 4});
  d.node("Dropout", {"x"}, {"y", "mask"}, "drop");
  d.node("Cast", {"mask"}, {"mf"}, "cast");
  OnnxBuilder::attr(d.graph()->mutable_node(1), "to", int64_t{onnx::TensorProto::FLOAT});
  d.output("y");
  d.output("mf");
  Status ds = convert_error(d, "dropout_mask.onnx");
  CHECK(contains(ds.message(), "'drop'"));
}

// The CLI: error exit codes and no .tdm left behind (needs build/tandem; skipped if absent).
TEST_CASE("tandem convert: non-zero exit and no output file on failure") {
  std::string tool = std::string(TANDEM_BINARY_DIR) + "/tandem";
  if (!test::skip_unless(fs::exists(tool), "build/tandem not built: CLI checks not run")) return;
  OnnxBuilder b;
  b.input("x", {1, 4});
  b.node("Sin", {"x"}, {"y"}, "sin");
  b.output("y");
  std::string model = b.save("cli_unsupported.onnx");
  std::string out = test::temp_path("cli_unsupported.tdm");
  fs::remove(out);
  std::string log = test::temp_path("cli.log");
  auto run = [&](const std::string& args) {
    return std::system((tool + " convert " + args + " > " + log + " 2>&1").c_str());
  };
  CHECK(run(model + " -o " + out) != 0);
  CHECK_FALSE(fs::exists(out));
  std::ifstream l(log);
  std::string text((std::istreambuf_iterator<char>(l)), std::istreambuf_iterator<char>());
  CHECK(contains(text, "Sin"));

  OnnxBuilder ok = unary_model("Relu", {1, 4});
  std::string good = ok.save("cli_ok.onnx");
  std::string missing_dir = test::temp_path("no_such_folder") + "/m.tdm";
  CHECK(run(good + " -o " + missing_dir) != 0);
  std::ifstream l2(log);
  std::string text2((std::istreambuf_iterator<char>(l2)), std::istreambuf_iterator<char>());
  CHECK(contains(text2, "does not exist"));
  CHECK(run(good + " -o " + out + " --input-shape x=1xbad") != 0);
}

// Random byte mutations of a model touching most mappers: errors are fine, crashes are not.
// MUT_SEED=N picks another deterministic set (seeds 1..12 were clean when this was written).
TEST_CASE("mutated models never crash the converter") {
  OnnxBuilder b;
  b.input("x", {1, 4, 8, 8});
  b.init_random("w", {4, 2, 3, 3}, 1);
  auto* c = b.node("Conv", {"x", "w"}, {"c"}, "conv");
  OnnxBuilder::attr(c, "pads", std::vector<int64_t>{1, 1, 1, 1});
  OnnxBuilder::attr(c, "group", int64_t{2});
  auto* mp = b.node("MaxPool", {"c"}, {"m"}, "mp");
  OnnxBuilder::attr(mp, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(mp, "strides", std::vector<int64_t>{2, 2});
  b.node("Shape", {"m"}, {"s"}, "shape");
  b.init_ints("i0", {0});
  b.node("Gather", {"s", "i0"}, {"n"}, "gather");
  b.init_ints("m1", {-1});
  auto* cat = b.node("Concat", {"n", "m1"}, {"t"}, "cat");
  OnnxBuilder::attr(cat, "axis", int64_t{0});
  b.node("Reshape", {"m", "t"}, {"r"}, "reshape");
  b.init_ints("st", {1});
  b.init_ints("en", {60});
  b.node("Slice", {"r", "st", "en", "i0"}, {"sl"}, "slice");
  b.init_random("fw", {3, 64}, 2);
  auto* g = b.node("Gemm", {"r", "fw"}, {"y"}, "fc");
  OnnxBuilder::attr(g, "transB", int64_t{1});
  b.node("Softmax", {"y"}, {"p"}, "softmax");
  b.output("p");
  std::string bytes = b.model.SerializeAsString();
  REQUIRE(convert_onnx_bytes(bytes.data(), bytes.size(), "mut.onnx").ok());
  std::vector<float> r =
      test::random_floats(4000 * 3, getenv("MUT_SEED") ? atoi(getenv("MUT_SEED")) : 77, 0.0f, 1.0f);
  int ok = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    std::string m = bytes;
    for (int k = 0; k < 3; ++k) {
      size_t pos = static_cast<size_t>(r[static_cast<size_t>(iter * 3 + k)] *
                                       static_cast<float>(m.size() - 1));
      m[pos] = static_cast<char>(m[pos] ^ (1 << (iter + k) % 8));
    }
    ConvertOptions o;
    o.run_passes = iter % 2 == 0;
    o.evaluate_constants = run_reference_node;
    if (convert_onnx_bytes(m.data(), m.size(), "mut.onnx", o).ok()) ++ok;
  }
  MESSAGE(ok << " of 4000 mutated models still converted");
}
