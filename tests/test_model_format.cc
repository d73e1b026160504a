// .tdm round trips and one test per malformed-file case. Malformed files are
// made by writing a valid file and patching bytes found through the
// generated (read-only) accessors, so each test breaks exactly one thing.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "formats/model_file.h"
#include "formats/op_params.h"
#include "formats/tandem_generated.h"
#include "graph/shape_inference.h"
#include "tests/helpers.h"

using namespace tandem;

namespace {

using Bytes = std::vector<uint8_t>;

// x -> conv -> bn -> relu -> maxpool -> flatten -> gemm -> softmax, every shape set.
Graph conv_bn_relu_maxpool_gemm_softmax() {
  Graph g;
  int x = test::add_input(g, "x", {1, 3, 8, 8});
  int w = test::add_random_constant(g, "conv_w", {4, 3, 3, 3}, 1);
  int b = test::add_random_constant(g, "conv_b", {4}, 2);
  NodeAttrs conv;
  conv.kernel_shape = {3, 3};
  conv.strides = {1, 1};
  conv.dilations = {1, 1};
  conv.pads = {1, 1, 1, 1};
  int c = test::add_simple_node(g, OpType::kConv, "conv", {x, w, b}, conv);
  g.tensor(c).shape = {1, 4, 8, 8};
  int scale = test::add_random_constant(g, "bn_scale", {4}, 3);
  int bias = test::add_random_constant(g, "bn_bias", {4}, 4);
  int mean = test::add_random_constant(g, "bn_mean", {4}, 5);
  int var = g.add_constant("bn_var", {4}, {0.5f, 1.0f, 1.5f, 2.0f});
  NodeAttrs bn;
  bn.epsilon = 1e-3f;
  int bo =
      test::add_simple_node(g, OpType::kBatchNormalization, "bn", {c, scale, bias, mean, var}, bn);
  g.tensor(bo).shape = {1, 4, 8, 8};
  int r = test::add_simple_node(g, OpType::kRelu, "relu", {bo});
  g.tensor(r).shape = {1, 4, 8, 8};
  NodeAttrs pool;
  pool.kernel_shape = {2, 2};
  pool.strides = {2, 2};
  pool.pads = {0, 0, 0, 0};
  pool.ceil_mode = true;
  int p = test::add_simple_node(g, OpType::kMaxPool, "pool", {r}, pool);
  g.tensor(p).shape = {1, 4, 4, 4};
  NodeAttrs flat;
  flat.axis = 1;
  int f = test::add_simple_node(g, OpType::kFlatten, "flatten", {p}, flat);
  g.tensor(f).shape = {1, 64};
  int fw = test::add_random_constant(g, "fc_w", {10, 64}, 6);
  int fb = test::add_random_constant(g, "fc_b", {10}, 7);
  NodeAttrs gemm;
  gemm.trans_b = true;
  gemm.alpha = 0.5f;
  gemm.activation.min = 0.0f;
  gemm.activation.max = 6.0f;
  int y = test::add_simple_node(g, OpType::kGemm, "fc", {f, fw, fb}, gemm);
  g.tensor(y).shape = {1, 10};
  NodeAttrs sm;
  sm.axis = 1;
  int out = test::add_simple_node(g, OpType::kSoftmax, "softmax", {y}, sm);
  g.tensor(out).shape = {1, 10};
  g.outputs = {out};
  g.metadata = {"tandem-test", "0.1", "fnv1a64:0123456789abcdef", "x Nx3x8x8 -> 1x3x8x8"};
  return g;
}

bool same_activation(const FusedActivation& a, const FusedActivation& b) {
  return a.min == b.min && a.max == b.max;
}

bool same_attrs(const NodeAttrs& a, const NodeAttrs& b) {
  return a.kernel_shape == b.kernel_shape && a.strides == b.strides && a.dilations == b.dilations &&
         a.pads == b.pads && a.group == b.group && a.ceil_mode == b.ceil_mode &&
         a.count_include_pad == b.count_include_pad && a.alpha == b.alpha && a.beta == b.beta &&
         a.trans_a == b.trans_a && a.trans_b == b.trans_b && a.clip_min == b.clip_min &&
         a.clip_max == b.clip_max && a.epsilon == b.epsilon && a.axis == b.axis &&
         a.perm == b.perm && a.axes == b.axes && a.keepdims == b.keepdims && a.starts == b.starts &&
         a.ends == b.ends && a.steps == b.steps && a.split == b.split && a.shape == b.shape &&
         a.pad_mode == b.pad_mode && a.pad_value == b.pad_value &&
         a.gelu_approximate == b.gelu_approximate && a.indices == b.indices &&
         a.indices_shape == b.indices_shape && same_activation(a.activation, b.activation);
}

void require_ok(const Status& st) {
  REQUIRE_MESSAGE(st.ok(), st.to_string());
}

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const Bytes& b) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// A valid file's bytes.
Bytes valid_model_bytes(const std::string& path) {
  Graph g = conv_bn_relu_maxpool_gemm_softmax();
  require_ok(write_model_file(path, g));
  return read_bytes(path);
}

const fb::Model* model_of(const Bytes& b) {
  return fb::GetSizePrefixedModel(b.data());
}

template <typename T>
void patch(Bytes& b, const void* where, T value) {
  size_t off = static_cast<size_t>(static_cast<const uint8_t*>(where) - b.data());
  REQUIRE(off + sizeof(T) <= b.size());
  std::memcpy(b.data() + off, &value, sizeof(T));
}

const fb::Tensor* fb_tensor(const Bytes& b, const std::string& name) {
  for (const fb::Tensor* t : *model_of(b)->tensors())
    if (t->name()->str() == name) return t;
  FAIL("no tensor " << name);
  return nullptr;
}

const fb::Node* fb_node(const Bytes& b, const std::string& name) {
  for (const fb::Node* n : *model_of(b)->nodes())
    if (n->name()->str() == name) return n;
  FAIL("no node " << name);
  return nullptr;
}

// Address of a scalar field the writer stored (generated tables inherit Table privately).
template <typename T>
const uint8_t* field_address(const T* table, flatbuffers::voffset_t field) {
  const uint8_t* p = reinterpret_cast<const flatbuffers::Table*>(table)->GetAddressOf(field);
  REQUIRE(p != nullptr);
  return p;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Reads `path`, expects `code`, and a message naming the file and each of `names`.
void expect_error(const std::string& path, StatusCode code, std::vector<std::string> names) {
  auto r = read_model_file(path);
  REQUIRE_FALSE(r.ok());
  const std::string& msg = r.status().message();
  INFO(r.status().to_string());
  if (std::getenv("TANDEM_SHOW_ERRORS")) MESSAGE(r.status().to_string());
  CHECK(r.status().code() == code);
  CHECK(contains(msg, path));
  for (const std::string& n : names) CHECK(contains(msg, n));
}

}  // namespace

TEST_CASE("a conv-bn-relu-maxpool-gemm-softmax graph round-trips exactly") {
  Graph g = conv_bn_relu_maxpool_gemm_softmax();
  std::string path = test::temp_path("roundtrip.tdm");
  require_ok(write_model_file(path, g));
  auto r = read_model_file(path);
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  const Graph& h = r->graph;
  CHECK(r->schema_version == kTdmSchemaVersion);
  CHECK_FALSE(r->plan.has_value());
  REQUIRE(h.tensors.size() == g.tensors.size());
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor& a = g.tensors[i];
    const Tensor& b = h.tensors[i];
    INFO(a.name);
    CHECK(a.name == b.name);
    CHECK(a.dtype == b.dtype);
    CHECK(a.shape == b.shape);
    REQUIRE(a.is_constant() == b.is_constant());
    if (a.is_constant()) {
      REQUIRE(a.data->bytes == b.data->bytes);
      CHECK(std::memcmp(a.data->data, b.data->data, a.data->bytes) == 0);
      // Weights are used in place from the mapping, so they must keep the alignment.
      CHECK(reinterpret_cast<uintptr_t>(b.data->data) % 64 == 0);
    }
  }
  REQUIRE(h.nodes.size() == g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    INFO(g.nodes[i].name);
    CHECK(h.nodes[i].name == g.nodes[i].name);
    CHECK(h.nodes[i].op == g.nodes[i].op);
    CHECK(h.nodes[i].inputs == g.nodes[i].inputs);
    CHECK(h.nodes[i].outputs == g.nodes[i].outputs);
    CHECK(same_attrs(h.nodes[i].attrs, g.nodes[i].attrs));
  }
  CHECK(h.inputs == g.inputs);
  CHECK(h.outputs == g.outputs);
  CHECK(h.metadata.producer == "tandem-test");
  CHECK(h.metadata.producer_version == "0.1");
  CHECK(h.metadata.source_hash == "fnv1a64:0123456789abcdef");
  CHECK(h.metadata.input_shapes == "x Nx3x8x8 -> 1x3x8x8");
}

TEST_CASE("an Erf graph with a scalar constant (empty shape) round-trips") {
  Graph g;
  int x = test::add_input(g, "x", {1, 4});
  int half = g.add_constant("half", {}, {0.5f});  // a scalar: its shape vector is empty
  int e = test::add_simple_node(g, OpType::kErf, "erf", {x});
  g.outputs = {test::add_simple_node(g, OpType::kMul, "scale", {e, half})};
  require_ok(infer_shapes(g));
  std::string path = test::temp_path("erf_scalar.tdm");
  require_ok(write_model_file(path, g));
  auto r = read_model_file(path);
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  const Graph& h = r->graph;
  REQUIRE(h.nodes.size() == 2);
  CHECK(h.nodes[0].op == OpType::kErf);
  const Tensor& c = h.tensor(h.nodes[1].inputs[1]);
  CHECK(c.shape.empty());
  REQUIRE(c.is_constant());
  CHECK(c.data->f32()[0] == 0.5f);
}

TEST_CASE("constants outlive the ModelFile through the shared mapping") {
  std::string path = test::temp_path("outlive.tdm");
  Graph g = conv_bn_relu_maxpool_gemm_softmax();
  require_ok(write_model_file(path, g));
  std::shared_ptr<const ConstantData> w;
  {
    auto r = read_model_file(path);
    REQUIRE(r.ok());
    w = r->graph.tensor(r->graph.find_tensor("conv_w")).data;
  }
  const Tensor& orig = g.tensor(g.find_tensor("conv_w"));
  CHECK(std::memcmp(w->data, orig.data->data, orig.data->bytes) == 0);
}

// The nodes of the later ops (grouped conv, LayerNorm, Gelu, Gather, ReduceSum) on x;
// returns the outputs to keep.
std::vector<int> add_later_op_params(Graph& g, int x) {
  NodeAttrs a;
  a.group = 4;
  a.kernel_shape = {3, 3};
  a.dilations = {2, 2};
  int w = test::add_random_constant(g, "dw_w", {4, 1, 3, 3}, 9);
  int dw = test::add_simple_node(g, OpType::kConv, "dwconv", {x, w, -1}, a);
  a = {};
  a.axes = {2, 3};
  a.epsilon = 1e-6f;
  int ln = test::add_simple_node(g, OpType::kLayerNormalization, "layernorm",
                                 {dw, test::add_random_constant(g, "ln_s", {6, 6}, 10), -1}, a);
  a = {};
  a.gelu_approximate = GeluApproximate::kTanh;
  int ge = test::add_simple_node(g, OpType::kGelu, "gelu", {ln}, a);
  a = {};
  a.axis = 2;
  a.indices = {5, 0, 3, 3, 1, 2};
  a.indices_shape = {2, 3};
  int ga = test::add_simple_node(g, OpType::kGather, "gather", {x}, a);
  a = {};
  a.axes = {1, 3};
  a.keepdims = false;
  int rsum = test::add_simple_node(g, OpType::kReduceSum, "rsum", {x}, a);
  return {ge, ga, rsum};
}

// One node of each op with parameters, each parameter off its default. Not
// shape-consistent (MatMul of a 4-D tensor with itself): for the codec only.
Graph every_op_params_graph() {
  Graph g;
  int x = test::add_input(g, "x", {1, 4, 6, 6});
  NodeAttrs a;
  a.clip_min = -1.5f;
  a.clip_max = 2.5f;
  int t = test::add_simple_node(g, OpType::kClip, "clip", {x}, a);
  a = {};
  a.alpha = 0.25f;
  a.beta = 0.75f;
  t = test::add_simple_node(g, OpType::kHardSigmoid, "hsig", {t}, a);
  a = {};
  a.alpha = 0.1f;
  t = test::add_simple_node(g, OpType::kLeakyRelu, "leaky", {t}, a);
  a = {};
  a.activation.min = 0;
  t = test::add_simple_node(g, OpType::kAdd, "add", {t, x}, a);
  a = {};
  a.kernel_shape = {3, 3};
  a.strides = {2, 2};
  a.pads = {1, 0, 1, 0};
  a.ceil_mode = true;
  a.count_include_pad = true;
  t = test::add_simple_node(g, OpType::kAveragePool, "avg", {t}, a);
  a = {};
  a.axes = {2, 3};
  a.keepdims = false;
  int rm = test::add_simple_node(g, OpType::kReduceMean, "rmean", {t}, a);
  a = {};
  a.axis = 1;
  a.split = {1, 3};
  Node split{"split", OpType::kSplit, {t}, {test::add_value(g, "s0"), test::add_value(g, "s1")}, a};
  g.add_node(split);
  a = {};
  a.axis = 1;
  int cat = test::add_simple_node(g, OpType::kConcat, "cat",
                                  {g.find_tensor("s1"), g.find_tensor("s0")}, a);
  a = {};
  a.starts = {0, 1};
  a.ends = {4, 3};
  a.axes = {1, 2};
  a.steps = {1, 2};
  int sl = test::add_simple_node(g, OpType::kSlice, "slice", {cat}, a);
  a = {};
  a.perm = {0, 2, 3, 1};
  int tr = test::add_simple_node(g, OpType::kTranspose, "transpose", {sl}, a);
  a = {};
  a.shape = {0, -1};
  int rs = test::add_simple_node(g, OpType::kReshape, "reshape", {tr}, a);
  a = {};
  a.pads = {0, 1, 0, 2};
  a.pad_mode = PadMode::kReflect;
  a.pad_value = 3.0f;
  int pd = test::add_simple_node(g, OpType::kPad, "pad", {rs}, a);
  a = {};
  a.activation.max = 4.0f;
  int mm = test::add_simple_node(g, OpType::kMatMul, "matmul", {pd, pd}, a);
  g.outputs = {rm, mm};
  for (int o : add_later_op_params(g, x)) g.outputs.push_back(o);
  return g;
}

TEST_CASE("every op's parameters round-trip") {
  const Graph g = every_op_params_graph();
  // The graph is not shape-consistent, so the parameters are read back with the
  // reader's own mapping, read_op_params, straight from the verified table.
  std::string path = test::temp_path("params.tdm");
  require_ok(write_model_file(path, g));
  Bytes b = read_bytes(path);
  flatbuffers::Verifier v(b.data(), flatbuffers::ReadScalar<uint32_t>(b.data()) + 4u);
  REQUIRE(fb::VerifySizePrefixedModelBuffer(v));
  const fb::Model* m = model_of(b);
  REQUIRE(m->nodes()->size() == g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    INFO(g.nodes[i].name);
    const fb::Node* fn = m->nodes()->Get(static_cast<flatbuffers::uoffset_t>(i));
    NodeAttrs back;
    REQUIRE(read_op_params(*fn, g.nodes[i].op, &back).ok());
    CHECK(same_attrs(back, g.nodes[i].attrs));
    std::vector<int> ins(fn->inputs()->begin(), fn->inputs()->end());
    CHECK(ins == g.nodes[i].inputs);
  }
  // A parameter table of the wrong kind is refused.
  NodeAttrs wrong;
  CHECK(read_op_params(*m->nodes()->Get(0), OpType::kConv, &wrong).code() ==
        StatusCode::kInvalidModel);
}

TEST_CASE("a stored plan round-trips") {
  Graph g = conv_bn_relu_maxpool_gemm_softmax();
  StoredPlan plan;
  plan.processors = {"cpu:cores=0", "opencl:0"};
  plan.stages = {{"cpu:cores=0", 0, 3, 1}, {"opencl:0", 3, 7, 2}};
  plan.objective = "throughput";
  plan.predicted_fps = 123.5;
  std::string path = test::temp_path("plan.tdm");
  require_ok(write_model_file(path, g, &plan));
  auto r = read_model_file(path);
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  REQUIRE(r->plan.has_value());
  const StoredPlan& p = *r->plan;
  CHECK(p.processors == plan.processors);
  REQUIRE(p.stages.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(p.stages[i].processor == plan.stages[i].processor);
    CHECK(p.stages[i].first_node == plan.stages[i].first_node);
    CHECK(p.stages[i].last_node == plan.stages[i].last_node);
    CHECK(p.stages[i].replicas == plan.stages[i].replicas);
  }
  CHECK(p.objective == "throughput");
  CHECK(p.predicted_fps == 123.5);
}

TEST_CASE("the writer replaces files atomically and refuses bad graphs") {
  std::string path = test::temp_path("atomic.tdm");
  Graph g = conv_bn_relu_maxpool_gemm_softmax();
  require_ok(write_model_file(path, g));
  Bytes before = read_bytes(path);
  Graph bad = g;
  bad.nodes[1].inputs[0] = 999;
  Status st = write_model_file(path, bad);
  CHECK(st.code() == StatusCode::kInvalidArgument);
  CHECK(contains(st.message(), "'bn'"));
  CHECK(read_bytes(path) == before);  // the old file is untouched
  CHECK(write_model_file(test::temp_path("no_such_dir/x.tdm"), g).code() == StatusCode::kIoError);
}

TEST_CASE("malformed: empty file") {
  std::string path = test::temp_path("empty.tdm");
  write_bytes(path, {});
  expect_error(path, StatusCode::kInvalidModel, {"empty"});
}

TEST_CASE("malformed: file truncated inside the model table") {
  std::string path = test::temp_path("truncated_table.tdm");
  Bytes b = valid_model_bytes(path);
  b.resize(b.size() > 200 ? 200 : b.size() / 2);
  write_bytes(path, b);
  expect_error(path, StatusCode::kInvalidModel, {"truncated"});
}

TEST_CASE("malformed: file truncated inside the weights names the tensor") {
  std::string path = test::temp_path("truncated_weights.tdm");
  Bytes b = valid_model_bytes(path);
  const fb::Tensor* w = fb_tensor(b, "conv_w");
  b.resize(static_cast<size_t>(w->data()->offset() + 8));
  write_bytes(path, b);
  expect_error(path, StatusCode::kInvalidModel, {"'conv_w'", "outside the file"});
}

TEST_CASE("malformed: wrong file identifier") {
  std::string path = test::temp_path("wrong_id.tdm");
  Bytes b = valid_model_bytes(path);
  std::memcpy(b.data() + 8, "ONNX", 4);
  write_bytes(path, b);
  expect_error(path, StatusCode::kInvalidModel, {"identifier", "'ONNX'"});
}

TEST_CASE("malformed: newer schema version than the reader") {
  std::string path = test::temp_path("newer.tdm");
  Bytes b = valid_model_bytes(path);
  const fb::Model* m = model_of(b);
  patch<uint32_t>(b, field_address(m, fb::Model::VT_SCHEMA_VERSION), kTdmSchemaVersion + 5);
  patch<uint32_t>(b, field_address(m, fb::Model::VT_MIN_READER_VERSION), kTdmSchemaVersion + 1);
  write_bytes(path, b);
  expect_error(path, StatusCode::kUnsupported,
               {"newer Tandem", std::to_string(kTdmSchemaVersion + 5)});
}

TEST_CASE("a newer schema that old readers may read is accepted") {
  std::string path = test::temp_path("newer_compatible.tdm");
  Bytes b = valid_model_bytes(path);
  patch<uint32_t>(b, field_address(model_of(b), fb::Model::VT_SCHEMA_VERSION),
                  kTdmSchemaVersion + 5);
  write_bytes(path, b);
  auto r = read_model_file(path);
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  CHECK(r->schema_version == kTdmSchemaVersion + 5);
}

TEST_CASE("malformed: node input index out of range") {
  std::string path = test::temp_path("bad_index.tdm");
  Bytes b = valid_model_bytes(path);
  patch<int32_t>(b, fb_node(b, "relu")->inputs()->Data(), 4242);
  write_bytes(path, b);
  expect_error(path, StatusCode::kInvalidModel, {"'relu'", "4242", "out of range"});
}

TEST_CASE("malformed: node output index out of range") {
  std::string path = test::temp_path("bad_out_index.tdm");
  Bytes b = valid_model_bytes(path);
  patch<int32_t>(b, fb_node(b, "pool")->outputs()->Data(), -7);
  write_bytes(path, b);
  expect_error(path, StatusCode::kInvalidModel, {"'pool'", "-7"});
}

TEST_CASE("malformed: unknown op type") {
  std::string path = test::temp_path("bad_op.tdm");
  Bytes b = valid_model_bytes(path);
  const fb::Node* n = fb_node(b, "relu");
  patch<uint16_t>(b, field_address(n, fb::Node::VT_OP), 999);
  write_bytes(path, b);
  expect_error(path, StatusCode::kInvalidModel, {"'relu'", "999"});
}

// x -> QuantizeLinear -> DequantizeLinear -> y: an int8 tensor in the file.
Bytes int8_model_bytes(const std::string& path) {
  Graph g;
  const int x = test::add_input(g, "x", {1, 4});
  Tensor q;
  q.name = "xq";
  q.dtype = DType::kInt8;
  q.quant = Quantization{{0.5f}, {-2}, -1};
  const int xq = g.add_tensor(q);
  g.add_node(Node{"quantize", OpType::kQuantizeLinear, {x}, {xq}, {}});
  const int y = test::add_value(g, "y");
  g.add_node(Node{"dequantize", OpType::kDequantizeLinear, {xq}, {y}, {}});
  g.outputs = {y};
  require_ok(infer_shapes(g));
  require_ok(write_model_file(path, g));
  return read_bytes(path);
}

TEST_CASE("int8 files: readers refuse dtypes, ops and quantization they do not know, by name") {
  std::string path = test::temp_path("int8_bad.tdm");
  SUBCASE("a valid one reads") {
    int8_model_bytes(path);
    auto r = read_model_file(path);
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    CHECK(r->graph.tensor(r->graph.find_tensor("xq")).quant.zero_point[0] == -2);
  }
  SUBCASE("unknown dtype (a newer format's) names the tensor") {
    Bytes b = int8_model_bytes(path);
    patch<uint8_t>(b, field_address(fb_tensor(b, "xq"), fb::Tensor::VT_DTYPE), 200);
    write_bytes(path, b);
    expect_error(path, StatusCode::kInvalidModel, {"'xq'", "dtype 200", "newer Tandem"});
  }
  SUBCASE("an op a reader does not know (as schema-3 readers see QuantizeLinear)") {
    Bytes b = int8_model_bytes(path);
    patch<uint16_t>(b, field_address(fb_node(b, "quantize"), fb::Node::VT_OP), 999);
    write_bytes(path, b);
    expect_error(path, StatusCode::kInvalidModel, {"'quantize'", "999", "newer Tandem"});
  }
  SUBCASE("a zero point outside int8") {
    Bytes b = int8_model_bytes(path);
    patch<int32_t>(b, fb_tensor(b, "xq")->quant()->zero_point()->Data(), 300);
    write_bytes(path, b);
    expect_error(path, StatusCode::kInvalidModel, {"'xq'", "zero point 300"});
  }
  SUBCASE("a negative scale") {
    Bytes b = int8_model_bytes(path);
    patch<float>(b, fb_tensor(b, "xq")->quant()->scale()->Data(), -1.0f);
    write_bytes(path, b);
    expect_error(path, StatusCode::kInvalidModel, {"'xq'", "positive and finite"});
  }
}

TEST_CASE("malformed: inconsistent shape (conv weight channels mismatch)") {
  Graph g = conv_bn_relu_maxpool_gemm_softmax();
  int w = g.find_tensor("conv_w");
  g.tensor(w) = Tensor{};
  g.tensor(w).name = "conv_w";
  g.tensor(w).shape = {4, 2, 3, 3};  // the input has 3 channels
  g.tensor(w).data = ConstantData::from_floats(test::random_floats(4 * 2 * 9, 11));
  std::string path = test::temp_path("bad_shape.tdm");
  require_ok(write_model_file(path, g));
  expect_error(path, StatusCode::kInvalidModel, {"'conv'"});
}

TEST_CASE("malformed: weight size does not match shape and dtype") {
  std::string path = test::temp_path("bad_size.tdm");
  Bytes b = valid_model_bytes(path);
  const fb::Tensor* t = fb_tensor(b, "fc_b");
  patch<uint64_t>(b, reinterpret_cast<const uint8_t*>(t->data()) + 8, t->data()->size() - 4);
  write_bytes(path, b);
  expect_error(path, StatusCode::kInvalidModel, {"'fc_b'", "bytes"});
}

TEST_CASE("malformed: weights outside the file") {
  std::string path = test::temp_path("weights_outside.tdm");
  Bytes b = valid_model_bytes(path);
  const fb::Tensor* t = fb_tensor(b, "fc_w");
  patch<uint64_t>(b, t->data(), (uint64_t{1} << 40));
  write_bytes(path, b);
  expect_error(path, StatusCode::kInvalidModel, {"'fc_w'", "outside the file"});
}

TEST_CASE("malformed: weights offset + size overflow") {
  std::string path = test::temp_path("weights_overflow.tdm");
  Bytes b = valid_model_bytes(path);
  const fb::Tensor* t = fb_tensor(b, "fc_w");
  patch<uint64_t>(b, reinterpret_cast<const uint8_t*>(t->data()) + 8, ~uint64_t{0} - 16);
  write_bytes(path, b);
  expect_error(path, StatusCode::kInvalidModel, {"'fc_w'", "outside the file"});
}

TEST_CASE("malformed: misaligned weights") {
  std::string path = test::temp_path("weights_misaligned.tdm");
  Bytes b = valid_model_bytes(path);
  const fb::Tensor* t = fb_tensor(b, "conv_b");
  patch<uint64_t>(b, t->data(), t->data()->offset() + 4);
  write_bytes(path, b);
  expect_error(path, StatusCode::kInvalidModel, {"'conv_b'", "aligned"});
}

TEST_CASE("malformed: rank above the limit") {
  Graph g = conv_bn_relu_maxpool_gemm_softmax();
  g.tensor(g.find_tensor("x")).shape = {1, 1, 1, 1, 1, 1, 1, 1, 1, 3};
  std::string path = test::temp_path("rank.tdm");
  require_ok(write_model_file(path, g));
  expect_error(path, StatusCode::kInvalidModel, {"'x'", "rank"});
}

TEST_CASE("malformed: node reads a tensor produced later") {
  Graph g = conv_bn_relu_maxpool_gemm_softmax();
  std::string path = test::temp_path("order.tdm");
  require_ok(write_model_file(path, g));
  Bytes b = read_bytes(path);
  // relu now reads the pool's output: a cycle relu -> pool -> relu.
  int pool_out = g.nodes[3].outputs[0];
  patch<int32_t>(b, fb_node(b, "relu")->inputs()->Data(), pool_out);
  write_bytes(path, b);
  expect_error(path, StatusCode::kInvalidModel, {"cycle"});
}

TEST_CASE("malformed: missing file") {
  std::string path = test::temp_path("does_not_exist.tdm");
  std::remove(path.c_str());
  auto r = read_model_file(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kNotFound);
  CHECK(contains(r.status().message(), path));
}

TEST_CASE("the memory limit refuses models that need more") {
  std::string path = test::temp_path("limit.tdm");
  valid_model_bytes(path);
  ReadOptions small;
  small.max_memory_bytes = 1024;
  auto r = read_model_file(path, small);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kResourceExhausted);
  CHECK(contains(r.status().message(), path));
  ReadOptions big;
  big.max_memory_bytes = 1 << 20;
  CHECK(read_model_file(path, big).ok());
}

TEST_CASE("read_model_bytes survives every truncation and byte flips") {
  std::string path = test::temp_path("fuzz.tdm");
  Bytes b = valid_model_bytes(path);
  REQUIRE(read_model_bytes(b.data(), b.size(), "fuzz").ok());
  for (size_t n = 0; n < b.size(); n += 3) {
    auto r = read_model_bytes(b.data(), n, "fuzz");
    CHECK_FALSE(r.ok());
  }
  uint32_t state = 12345;
  int ok = 0;
  // Flips inside the model table only: the weights accept any bytes.
  size_t table = flatbuffers::ReadScalar<uint32_t>(b.data()) + 4u;
  for (int i = 0; i < 2000; ++i) {
    Bytes c = b;
    for (int k = 0; k < 3; ++k) {
      state = state * 1664525u + 1013904223u;
      size_t pos = (state >> 8) % table;
      c[pos] ^= static_cast<uint8_t>(1u << (state & 7));
    }
    auto r = read_model_bytes(c.data(), c.size(), "fuzz");
    if (r.ok())
      ++ok;
    else
      CHECK(contains(r.status().message(), "fuzz"));
  }
  MESSAGE(ok << " of 2000 mutated model tables were still valid (flips in names or padding)");
}

TEST_CASE("malformed: absurd node count is refused before any work") {
  // Built with the FlatBuffers builder directly: the writer cannot make such a file.
  flatbuffers::FlatBufferBuilder fbb(1 << 24);
  std::vector<flatbuffers::Offset<fb::Node>> nodes;
  const size_t count = (size_t{1} << 20) + 1;
  nodes.reserve(count);
  for (size_t i = 0; i < count; ++i) nodes.push_back(fb::CreateNode(fbb, 0, fb::OpType::Relu));
  auto fns = fbb.CreateVector(nodes);
  auto model =
      fb::CreateModel(fbb, kTdmSchemaVersion, kTdmMinReaderVersion, 0, fns, 0, 0, 0, 0, 64, 0);
  fb::FinishSizePrefixedModelBuffer(fbb, model);
  Bytes b(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  b.resize((b.size() + 63) / 64 * 64 + 64, 0);  // room for the (empty) weights blob
  auto r = read_model_bytes(b.data(), b.size(), "many_nodes.tdm");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidModel);
  CHECK(contains(r.status().message(), "many_nodes.tdm"));
  CHECK(contains(r.status().message(), "1048577 nodes"));
}
