// Converter cases of the exported vision transformers: shape-only subgraphs
// (ViT's class-token Expand through ConstantOfShape/Equal/Where, Range,
// ScatterND) fold at conversion time, the class-token Gather maps onto the
// Gather op, and transposes that move no data become Reshapes.
#include <doctest/doctest.h>

#include "api/default_registry.h"
#include "engine/executor.h"
#include "formats/model_file.h"
#include "kernels/reference/reference_kernels.h"
#include "tests/onnx_convert_helpers.h"

using namespace tandem;
using namespace tandem::test;

namespace {

onnx::NodeProto* int_constant(OnnxBuilder& b, const std::string& name, std::vector<int64_t> dims,
                              std::vector<int64_t> values) {
  auto* k = b.node("Constant", {}, {name}, name);
  auto* kv = k->add_attribute();
  kv->set_name("value");
  kv->set_type(onnx::AttributeProto::TENSOR);
  kv->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) kv->mutable_t()->add_dims(d);
  for (int64_t v : values) kv->mutable_t()->add_int64_data(v);
  return k;
}

// torchvision ViT's prologue as torch 1.13 exports it at opset 14: the class token
// expanded to the batch through a shape computed by ConstantOfShape, Mul, Equal and
// Where, concatenated before the patches; the head reads x[:, 0].
OnnxBuilder class_token_model() {
  OnnxBuilder b(14);
  b.input("patches", {1, 4, 3});
  b.init_floats("cls", {1, 1, 3}, {10, 20, 30});
  int_constant(b, "target", {3}, {1, -1, -1});
  int_constant(b, "three", {1}, {3});
  auto* cos = b.node("ConstantOfShape", {"three"}, {"ones"}, "cos");
  auto* v = cos->add_attribute();
  v->set_name("value");
  v->set_type(onnx::AttributeProto::TENSOR);
  v->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  v->mutable_t()->add_dims(1);
  v->mutable_t()->add_int64_data(1);
  int_constant(b, "minus1", {}, {-1});
  b.node("Mul", {"ones", "minus1"}, {"neg"}, "mul");
  b.node("Equal", {"target", "neg"}, {"eq"}, "equal");
  b.node("Where", {"eq", "ones", "target"}, {"shape"}, "where");
  b.node("Expand", {"cls", "shape"}, {"tok"}, "expand");
  auto* cat = b.node("Concat", {"tok", "patches"}, {"seq"}, "concat");
  OnnxBuilder::attr(cat, "axis", int64_t{1});
  int_constant(b, "zero", {}, {0});
  auto* g = b.node("Gather", {"seq", "zero"}, {"first"}, "class_token");
  OnnxBuilder::attr(g, "axis", int64_t{1});
  b.output("first");
  b.output("seq");
  return b;
}

std::vector<std::vector<float>> run_on(const Graph& g, const std::string& spec,
                                       const std::vector<float>& x) {
  auto proc = create_processor(spec);
  REQUIRE(proc.ok());
  auto exe = Executor::create(g, **proc);
  INFO(exe.status().to_string());
  REQUIRE(exe.ok());
  const Tensor& t = g.tensor(g.inputs[0]);
  auto out = (*exe)->run({HostTensor{t.name, t.shape, x}});
  INFO(out.status().to_string());
  REQUIRE(out.ok());
  std::vector<std::vector<float>> r;
  for (const HostTensor& h : *out) r.push_back(h.data);
  return r;
}

}  // namespace

TEST_CASE("ViT's class token: Expand/Equal/Where fold, x[:, 0] is a Gather node") {
  OnnxBuilder b = class_token_model();
  auto r = convert_onnx(b.save("vit_cls.onnx"), raw_mapping());
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  const Graph& g = r->graph;
  CHECK(r->summary.folded_by_op.at("Expand") == 1);
  CHECK(r->summary.folded_by_op.at("Where") == 1);
  CHECK(r->summary.folded_by_op.at("Equal") == 1);
  CHECK(g.nodes.size() == 2);  // Concat, Gather
  const Node& gather = single(g, OpType::kGather);
  CHECK(gather.attrs.axis == 1);
  CHECK(gather.attrs.indices == std::vector<int64_t>{0});
  CHECK(gather.attrs.indices_shape.empty());
  CHECK(g.tensor(gather.outputs[0]).shape == Shape{1, 3});
  std::vector<float> x(12);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i);
  for (const char* spec : {"reference", "cpu", "cpu:threads=2"}) {
    INFO(spec);
    auto out = run_on(g, spec, x);
    CHECK(out[0] == std::vector<float>{10, 20, 30});
    std::vector<float> seq = {10, 20, 30};
    seq.insert(seq.end(), x.begin(), x.end());
    CHECK(out[1] == seq);
  }
}

TEST_CASE("Gather: index tensors, negative indices; run-time indices are refused by name") {
  OnnxBuilder b;
  b.input("x", {2, 5});
  b.init_ints("idx", {-1, 0, 3});
  auto* g = b.node("Gather", {"x", "idx"}, {"y"}, "pick");
  OnnxBuilder::attr(g, "axis", int64_t{1});
  b.output("y");
  Graph graph = convert_ok(b, "gather_idx.onnx");
  const Node& n = single(graph, OpType::kGather);
  CHECK(n.attrs.indices == std::vector<int64_t>{4, 0, 3});
  CHECK(n.attrs.indices_shape == std::vector<int64_t>{3});
  std::vector<float> x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  for (const char* spec : {"reference", "cpu"}) {
    INFO(spec);
    CHECK(run_on(graph, spec, x)[0] == std::vector<float>{4, 0, 3, 9, 5, 8});
  }

  OnnxBuilder bad;
  bad.input("x", {2, 5});
  bad.init_ints("idx", {5});
  bad.node("Gather", {"x", "idx"}, {"y"}, "too_far");
  OnnxBuilder::attr(bad.graph()->mutable_node(0), "axis", int64_t{1});
  bad.output("y");
  Status st = convert_error(bad, "gather_range.onnx");
  CHECK(contains(st.message(), "'too_far'"));
  CHECK(contains(st.message(), "out of range"));

  OnnxBuilder rt;
  rt.input("x", {2, 5});
  rt.input("i", {1});
  rt.node("Gather", {"x", "i"}, {"y"}, "dynamic");
  rt.output("y");
  Status st2 = convert_error(rt, "gather_rt.onnx");
  CHECK(contains(st2.message(), "'dynamic'"));
}

TEST_CASE("Range, ScatterND and Not fold; Where on run-time data is refused by name") {
  OnnxBuilder b;
  b.input("x", {2, 3});
  int_constant(b, "start", {}, {0});
  int_constant(b, "limit", {}, {6});
  int_constant(b, "delta", {}, {1});
  b.node("Range", {"start", "limit", "delta"}, {"r"}, "range");
  int_constant(b, "idx", {2, 1}, {1, 4});
  int_constant(b, "upd", {2}, {-1, -2});
  b.node("ScatterND", {"r", "idx", "upd"}, {"s"}, "scatter");  // 0 -1 2 3 -2 5
  int_constant(b, "two_three", {2}, {2, 3});
  b.node("Reshape", {"s", "two_three"}, {"s2"}, "reshape");
  b.node("Cast", {"s2"}, {"f"}, "cast");
  OnnxBuilder::attr(b.graph()->mutable_node(b.graph()->node_size() - 1), "to",
                    int64_t{onnx::TensorProto::FLOAT});
  b.node("Add", {"x", "f"}, {"y"}, "add");
  b.output("y");
  auto r = convert_onnx(b.save("range.onnx"), raw_mapping());
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  CHECK(r->summary.folded_by_op.at("Range") == 1);
  CHECK(r->summary.folded_by_op.at("ScatterND") == 1);
  const Node& add = single(r->graph, OpType::kAdd);
  const Tensor& c = r->graph.tensor(add.inputs[1]);
  REQUIRE(c.is_constant());
  const float* v = static_cast<const float*>(c.data->data);
  CHECK(std::vector<float>(v, v + 6) == std::vector<float>{0, -1, 2, 3, -2, 5});

  OnnxBuilder rt;
  rt.input("x", {2, 3});
  rt.init_floats("zero", {1}, {0});
  rt.node("Equal", {"x", "zero"}, {"m"}, "mask");
  rt.node("Where", {"m", "zero", "x"}, {"y"}, "masked");
  rt.output("y");
  Status st = convert_error(rt, "where_rt.onnx");
  CHECK(contains(st.message(), "'mask'"));
  CHECK(contains(st.message(), "run-time data"));
}

TEST_CASE("Transposes that only move unit dims become Reshapes") {
  OnnxBuilder b;
  b.input("x", {1, 5, 8});
  auto* t = b.node("Transpose", {"x"}, {"y"}, "to_seq_first");
  OnnxBuilder::attr(t, "perm", std::vector<int64_t>{1, 0, 2});
  auto* t2 = b.node("Transpose", {"y"}, {"z"}, "real");
  OnnxBuilder::attr(t2, "perm", std::vector<int64_t>{2, 1, 0});
  b.output("z");
  Graph g = convert_ok(b, "unit_transpose.onnx");
  REQUIRE(g.nodes.size() == 2);
  CHECK(g.nodes[0].op == OpType::kReshape);
  CHECK(g.nodes[0].attrs.shape == std::vector<int64_t>{5, 1, 8});
  CHECK(g.nodes[1].op == OpType::kTranspose);
}

TEST_CASE("--input-shape fixes a dynamic batch; the shape math folds; the .tdm records it") {
  // x [N, 4, 8] -> Reshape to [N * 4, 8] through Shape/Gather/Mul/Concat, as dynamic exports do.
  OnnxBuilder b(14);
  b.input("x", {-1, 4, 8});
  b.node("Shape", {"x"}, {"s"}, "shape");
  int_constant(b, "i0", {1}, {0});
  b.node("Gather", {"s", "i0"}, {"n"}, "batch");
  int_constant(b, "four", {1}, {4});
  b.node("Mul", {"n", "four"}, {"rows"}, "rows");
  int_constant(b, "eight", {1}, {8});
  auto* cat = b.node("Concat", {"rows", "eight"}, {"target"}, "target");
  OnnxBuilder::attr(cat, "axis", int64_t{0});
  b.node("Reshape", {"x", "target"}, {"y"}, "flatten_rows");
  b.output("y");
  Status dynamic = convert_error(b, "dyn_batch.onnx");
  CHECK(contains(dynamic.message(), "--input-shape"));
  ConvertOptions o = raw_mapping();
  o.input_shapes["x"] = {3, 4, 8};
  auto r = convert_onnx(b.save("dyn_batch.onnx"), o);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  const Graph& g = r->graph;
  CHECK(g.tensor(g.inputs[0]).shape == Shape{3, 4, 8});
  CHECK(single(g, OpType::kReshape).attrs.shape == std::vector<int64_t>{12, 8});
  CHECK(g.metadata.input_shapes == "x Nx4x8 -> 3x4x8");
  std::string tdm = temp_path("dyn_batch.tdm");
  REQUIRE(write_model_file(tdm, g).ok());
  auto back = read_model_file(tdm);
  REQUIRE(back.ok());
  CHECK(back->graph.metadata.input_shapes == "x Nx4x8 -> 3x4x8");
  auto plain = convert_onnx(class_token_model().save("vit_cls2.onnx"), raw_mapping());
  REQUIRE(plain.ok());
  CHECK(plain->graph.metadata.input_shapes.empty());  // nothing asked, nothing recorded
}

TEST_CASE("Swin's mask math folds: Mod (both signs, fmod), N-D Slice and Transpose of constants") {
  OnnxBuilder b(14);
  b.input("x", {2, 3});
  int_constant(b, "a", {4}, {7, -7, 7, -7});
  int_constant(b, "m", {4}, {3, 3, -3, -3});
  b.node("Mod", {"a", "m"}, {"py"}, "mod");  // Python's %: 1 2 -2 -1
  auto* cm = b.node("Mod", {"a", "m"}, {"c"}, "fmod");
  OnnxBuilder::attr(cm, "fmod", int64_t{1});  // C's fmod: 1 -1 1 -1
  int_constant(b, "grid", {3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  int_constant(b, "s0", {2}, {1, 3});
  int_constant(b, "e0", {2}, {3, 0});
  int_constant(b, "ax", {2}, {0, 1});
  int_constant(b, "st", {2}, {1, -2});
  b.node("Slice", {"grid", "s0", "e0", "ax", "st"}, {"sl"}, "slice");  // [[7, 5], [11, 9]]
  b.node("Transpose", {"sl"}, {"tr"}, "transpose");                    // [[7, 11], [5, 9]]
  int_constant(b, "shape6", {1}, {4});
  b.node("Reshape", {"tr", "shape6"}, {"flat"}, "flat");
  auto* cat = b.node("Concat", {"py", "c", "flat"}, {"all"}, "concat");
  OnnxBuilder::attr(cat, "axis", int64_t{0});
  int_constant(b, "s1", {1}, {6});
  int_constant(b, "e1", {1}, {12});
  b.node("Slice", {"all", "s1", "e1"}, {"six"}, "six");  // c[2], c[3], then 7 11 5 9
  int_constant(b, "shape23", {2}, {2, 3});
  b.node("Reshape", {"six", "shape23"}, {"k"}, "k");
  auto* cast = b.node("Cast", {"k"}, {"kf"}, "cast");
  OnnxBuilder::attr(cast, "to", int64_t{onnx::TensorProto::FLOAT});
  b.node("Add", {"x", "kf"}, {"y"}, "add");
  b.output("y");
  auto r = convert_onnx(b.save("swin_math.onnx"), raw_mapping());
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  CHECK(r->summary.folded_by_op.at("Mod") == 2);
  CHECK(r->summary.folded_by_op.at("Transpose") == 1);
  const Node& add = single(r->graph, OpType::kAdd);
  const Tensor& c = r->graph.tensor(add.inputs[1]);
  REQUIRE(c.is_constant());
  const float* v = static_cast<const float*>(c.data->data);
  CHECK(std::vector<float>(v, v + 6) == std::vector<float>{1, -1, 7, 11, 5, 9});
  OnnxBuilder zero(14);
  zero.input("x", {1});
  int_constant(zero, "a", {1}, {5});
  int_constant(zero, "z", {1}, {0});
  zero.node("Mod", {"a", "z"}, {"m"}, "by_zero");
  zero.output("x");
  Status st = convert_error(zero, "mod_zero.onnx");
  CHECK(contains(st.message(), "'by_zero'"));
}

TEST_CASE("ReduceSum maps with axes as input (opset 13+) or attribute; noop_with_empty_axes") {
  OnnxBuilder b(13);
  b.input("x", {2, 3, 4});
  b.init_ints("axes", {-1, 1});
  auto* r = b.node("ReduceSum", {"x", "axes"}, {"y"}, "sum");
  OnnxBuilder::attr(r, "keepdims", int64_t{0});
  b.output("y");
  Graph g = convert_ok(b, "reduce_sum.onnx");
  const Node& n = single(g, OpType::kReduceSum);
  CHECK(n.attrs.axes == std::vector<int64_t>{2, 1});
  CHECK_FALSE(n.attrs.keepdims);
  CHECK(g.tensor(n.outputs[0]).shape == Shape{2});
  std::vector<float> x(24, 1.0f);
  for (const char* spec : {"reference", "cpu"})
    CHECK(run_on(g, spec, x)[0] == std::vector<float>{12, 12});
  OnnxBuilder noop(13);
  noop.input("x", {2, 3});
  auto* nn = noop.node("ReduceSum", {"x"}, {"y"}, "noop");
  OnnxBuilder::attr(nn, "noop_with_empty_axes", int64_t{1});
  noop.output("y");
  Graph ng = convert_ok(noop, "reduce_noop.onnx");
  CHECK(single(ng, OpType::kIdentity).name == "noop");
}
