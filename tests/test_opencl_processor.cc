// The opencl processor against the reference processor, op by op (relative
// error <= 1e-3 in fp32), plus the program cache, spec errors, the no-device
// path, build failures and device memory exhaustion.
#include <doctest/doctest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include "api/default_registry.h"
#include "graph/shape_inference.h"
#include "kernels/opencl/device.h"
#include "kernels/opencl/half.h"
#include "kernels/opencl/opencl_processor.h"
#include "kernels/opencl/program_cache.h"
#include "tests/helpers.h"
#include "tests/opencl_op_checks.h"
#include "tests/skip.h"

extern char** environ;

// Runs first in file order; executes the no-platform case in a child process
// whose ICD loader sees an empty vendor folder.
TEST_CASE("opencl: no platform gives a clear error and reference keeps working") {
  if (std::getenv("TANDEM_OPENCL_CHILD")) {
    auto r = create_processor("opencl");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kNotFound);
    CHECK(r.status().message().find("no OpenCL platform") != std::string::npos);
    CHECK(r.status().message().find("OCL_ICD_VENDORS") != std::string::npos);
    CHECK(create_processor("reference").ok());
    return;
  }
  std::string empty = temp_path("no_opencl_vendors");
  std::filesystem::create_directories(empty);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    if (kv.rfind("OCL_ICD_VENDORS=", 0) != 0) env_strings.push_back(kv);
  }
  env_strings.push_back("OCL_ICD_VENDORS=" + empty);
  env_strings.push_back("TANDEM_OPENCL_CHILD=1");
  std::vector<char*> env;
  for (auto& s : env_strings) env.push_back(s.data());
  env.push_back(nullptr);
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string filter = "-tc=opencl: no platform*";
  char* argv[] = {self.data(), filter.data(), nullptr};
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv, env.data()) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("opencl: device selection errors name what exists") {
  auto none = ocl::select_opencl_device({}, 0);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == StatusCode::kNotFound);
  CHECK(none.status().message().find("no OpenCL device") != std::string::npos);
  auto devices = ocl::list_opencl_devices();
  REQUIRE_MESSAGE(devices.ok(), devices.status().to_string());
  auto bad = ocl::select_opencl_device(*devices, 99);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find((*devices)[0].name) != std::string::npos);
}

TEST_CASE("opencl: bad specs") {
  use_test_cache_dir();
  auto r = create_processor("opencl:frobnicate");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("frobnicate") != std::string::npos);
  r = create_processor("opencl:gemm=cublas");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("gemm=cublas") != std::string::npos);
  r = create_processor("opencl:99");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kNotFound);
  CHECK(r.status().message().find("99") != std::string::npos);
  auto ok = create_processor("opencl:0");
  REQUIRE_MESSAGE(ok.ok(), ok.status().to_string());
  CHECK((*ok)->spec() == "opencl:0");
}

TEST_CASE("opencl: fp16 where the device has it, a clear error where not") {
  use_test_cache_dir();
  auto devices = ocl::list_opencl_devices();
  REQUIRE(devices.ok());
  auto r = create_processor(spec("fp16"));
  const char* d = std::getenv("TANDEM_TEST_OPENCL_DEVICE");
  const ocl::DeviceInfo& dev = (*devices)[size_t(d && *d ? std::atoi(d) : 0)];
  if (!test::skip_unless(
          dev.fp16, "device '" + dev.name + "' has no cl_khr_fp16: fp16 accuracy not measured")) {
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnsupported);
    CHECK(r.status().message().find("cl_khr_fp16") != std::string::npos);
    return;
  }
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  Graph g;
  int x = add_input(g, "x", {1, 16, 14, 14});
  int w = add_random_constant(g, "w", {32, 16, 3, 3}, 1);
  int b = add_random_constant(g, "b", {32}, 2);
  NodeAttrs a = conv_attrs({3, 3}, {1, 1}, {1, 1, 1, 1});
  a.activation.min = 0;
  int y = add_simple_node(g, OpType::kConv, "conv", {x, w, b}, a);
  add_simple_node(g, OpType::kGlobalAveragePool, "gap", {y});
  g.outputs = g.nodes.back().outputs;
  REQUIRE(infer_shapes(g).ok());
  std::vector<std::vector<float>> in{random_floats(16 * 14 * 14, 3)};
  RunResult want = run_on(reference(), g, in);
  RunResult got = run_on(r->get(), g, in);
  double err = relative_error(got.outputs[0], want.outputs[0]);
  MESSAGE("fp16 conv3x3+relu+gap relative error: " << err);
  CHECK(err < 2e-2);
}

TEST_CASE("opencl: half conversion round trip") {
  for (float v : {0.0f, 1.0f, -2.5f, 65504.0f, 1e-5f, 3.14159f, -1e-7f}) {
    float back = ocl::half_to_float(ocl::float_to_half(v));
    CHECK(std::fabs(back - v) <= std::fabs(v) * (1.0f / 1024) + 6e-8f);
  }
  CHECK(ocl::float_to_half(1.0f) == 0x3c00);  // IEEE 754 binary16 encodings
  CHECK(ocl::float_to_half(-2.0f) == 0xc000);
  CHECK(std::isinf(ocl::half_to_float(ocl::float_to_half(1e6f))));
}

TEST_CASE("opencl op: gemm and matmul") {
  {
    Graph g;  // fully connected, batch 1 (gemv), trans_b, bias
    int x = add_input(g, "x", {1, 300});
    NodeAttrs a;
    a.trans_b = true;
    a.activation.min = 0;
    add_simple_node(
        g, OpType::kGemm, "fc",
        {x, add_random_constant(g, "w", {70, 300}, 1), add_random_constant(g, "b", {70}, 2)}, a);
    check_case(g, "gemm_fc");
  }
  {
    Graph g;  // tiled: trans_a, alpha/beta, 2-D C
    int x = add_input(g, "x", {33, 5});
    NodeAttrs a;
    a.trans_a = true;
    a.alpha = 0.5f;
    a.beta = 2.0f;
    add_simple_node(
        g, OpType::kGemm, "gemm",
        {x, add_random_constant(g, "w", {33, 21}, 3), add_random_constant(g, "c", {5, 21}, 4)}, a);
    check_case(g, "gemm_tiled");
  }
  {
    Graph g;
    int x = add_input(g, "x", {2, 3, 40});
    add_simple_node(g, OpType::kMatMul, "matmul", {x, add_random_constant(g, "w", {40, 17}, 5)});
    check_case(g, "matmul");
  }
}

TEST_CASE("opencl op: pooling") {
  for (int kind = 0; kind < 4; ++kind) {
    Graph g;
    int x = add_input(g, "x", {1, 5, 13, 11});
    NodeAttrs a;
    a.kernel_shape = {3, 3};
    a.strides = {2, 2};
    a.pads = {1, 1, 1, 1};
    a.count_include_pad = kind == 2;
    a.ceil_mode = kind == 3;
    add_simple_node(g, kind == 0 ? OpType::kMaxPool : OpType::kAveragePool, "pool", {x}, a);
    check_case(g, "pool kind " + std::to_string(kind));
  }
  for (OpType op : {OpType::kGlobalAveragePool, OpType::kGlobalMaxPool}) {
    Graph g;
    int x = add_input(g, "x", {2, 7, 6, 5});
    add_simple_node(g, op, "gpool", {x});
    check_case(g, std::string(op_name(op)));
  }
  {
    Graph g;
    int x = add_input(g, "x", {1, 7, 6, 5});
    NodeAttrs a;
    a.axes = {2, 3};
    a.keepdims = false;
    add_simple_node(g, OpType::kReduceMean, "mean", {x}, a);
    check_case(g, "reduce_mean");
  }
}

TEST_CASE("opencl op: elementwise with broadcasting and fused clamp") {
  const std::vector<std::pair<Shape, Shape>> shapes = {{{1, 8, 5, 5}, {1, 8, 5, 5}},
                                                       {{1, 8, 5, 5}, {1, 8, 1, 1}},
                                                       {{2, 8, 5, 5}, {5}},
                                                       {{3, 1, 4}, {1, 6, 1}}};
  for (OpType op : {OpType::kAdd, OpType::kSub, OpType::kMul, OpType::kDiv}) {
    for (size_t i = 0; i < shapes.size(); ++i) {
      Graph g;
      int a = add_input(g, "a", shapes[i].first);
      int b = add_input(g, "b", shapes[i].second);
      NodeAttrs at;
      if (op == OpType::kAdd && i == 1) at.activation.min = 0;  // fused relu
      add_simple_node(g, op, "bin", {a, b}, at);
      check_case(g, std::string(op_name(op)) + " case " + std::to_string(i), 0.5f, 2.0f);
    }
  }
  Graph g;  // a constant operand lives in a weight buffer
  int a = add_input(g, "a", {1, 4, 3, 3});
  add_simple_node(g, OpType::kMul, "scale", {a, add_random_constant(g, "s", {1, 4, 1, 1}, 9)});
  check_case(g, "mul by constant");
}

TEST_CASE("opencl op: unary activations and batchnorm") {
  for (OpType op : {OpType::kRelu, OpType::kClip, OpType::kSigmoid, OpType::kHardSigmoid,
                    OpType::kHardSwish, OpType::kTanh, OpType::kLeakyRelu, OpType::kErf}) {
    Graph g;
    int x = add_input(g, "x", {1, 3, 7, 5});
    NodeAttrs a;
    a.clip_min = -0.5f;
    a.clip_max = 1.5f;
    a.alpha = op == OpType::kLeakyRelu ? 0.1f : 0.2f;
    a.beta = 0.5f;
    add_simple_node(g, op, "act", {x}, a);
    check_case(g, std::string(op_name(op)), -5, 5);
  }
  Graph g;
  int x = add_input(g, "x", {2, 6, 4, 3});
  int var = g.add_constant("var", {6}, random_floats(6, 4, 0.5f, 2.0f));
  add_simple_node(
      g, OpType::kBatchNormalization, "bn",
      {x, add_random_constant(g, "gamma", {6}, 1), add_random_constant(g, "beta", {6}, 2),
       add_random_constant(g, "mean", {6}, 3), var});
  check_case(g, "batchnorm");
}

TEST_CASE("opencl op: LayerNorm (channels, last axis), Gelu (erf, tanh), Pow, Sqrt") {
  struct LnCase {
    Shape x;
    std::vector<int64_t> axes;
    Shape param;
    bool bias;
  };
  for (LnCase c : {LnCase{{1, 24, 5, 3}, {1}, {24, 1, 1}, true},
                   LnCase{{2, 7, 40}, {2}, {40}, false}, LnCase{{3, 4, 6}, {1, 2}, {4, 6}, true}}) {
    Graph g;
    int x = add_input(g, "x", c.x);
    std::vector<int> in = {x, add_random_constant(g, "gamma", c.param, 1)};
    if (c.bias) in.push_back(add_random_constant(g, "beta", c.param, 2));
    NodeAttrs a;
    a.axes = c.axes;
    add_simple_node(g, OpType::kLayerNormalization, "ln", in, a);
    CHECK(check_case(g, "layer_norm " + shape_to_string(c.x), -3, 5).fallbacks.empty());
  }
  for (GeluApproximate mode : {GeluApproximate::kErf, GeluApproximate::kTanh}) {
    Graph g;
    int x = add_input(g, "x", {1, 3, 7, 5});
    NodeAttrs a;
    a.gelu_approximate = mode;
    add_simple_node(g, OpType::kGelu, "gelu", {x}, a);
    CHECK(check_case(g, "gelu", -6, 6).fallbacks.empty());
  }
  {
    Graph g;
    int x = add_input(g, "x", {1, 4, 3, 3});
    int e = g.add_constant("e", {1, 4, 1, 1}, {2.0f, 0.5f, 3.0f, -1.0f});
    add_simple_node(g, OpType::kPow, "pow", {x, e});
    CHECK(check_case(g, "pow", 0.5f, 2.0f).fallbacks.empty());
  }
  Graph g;
  int x = add_input(g, "x", {2, 9});
  add_simple_node(g, OpType::kSqrt, "sqrt", {x});
  CHECK(check_case(g, "sqrt", 0.0f, 4.0f).fallbacks.empty());
}

TEST_CASE("opencl op: softmax, transpose, gather, channel shuffle, pad") {
  {
    Graph g;
    int x = add_input(g, "x", {2, 10});
    NodeAttrs a;
    a.axis = 1;
    add_simple_node(g, OpType::kSoftmax, "softmax", {x}, a);
    check_case(g, "softmax 2-D", -5, 5);
  }
  {
    Graph g;
    int x = add_input(g, "x", {1, 4, 3, 3});
    NodeAttrs a;
    a.axis = 1;
    add_simple_node(g, OpType::kSoftmax, "softmax", {x}, a);
    check_case(g, "softmax channels", -5, 5);
  }
  {
    Graph g;
    int x = add_input(g, "x", {2, 3, 4, 5});
    NodeAttrs a;
    a.perm = {0, 2, 3, 1};
    add_simple_node(g, OpType::kTranspose, "nhwc", {x}, a);
    check_case(g, "transpose");
  }
  {
    Graph g;  // ViT's class token x[:, 0], and an index tensor with repeats
    int x = add_input(g, "x", {2, 5, 6});
    NodeAttrs a;
    a.axis = 1;
    a.indices = {0};
    int cls = add_simple_node(g, OpType::kGather, "class_token", {x}, a);
    NodeAttrs b;
    b.axis = 2;
    b.indices = {5, 0, 0, 3};
    b.indices_shape = {2, 2};
    int pick = add_simple_node(g, OpType::kGather, "pick", {x}, b);
    g.outputs = {cls, pick};
    CHECK(check_case(g, "gather").fallbacks.empty());
  }
  {
    Graph g;  // ShuffleNet's channel shuffle: reshape, transpose, reshape
    int x = add_input(g, "x", {1, 8, 4, 4});
    NodeAttrs r1;
    r1.shape = {1, 2, 4, 4, 4};
    int y = add_simple_node(g, OpType::kReshape, "split_groups", {x}, r1);
    NodeAttrs t;
    t.perm = {0, 2, 1, 3, 4};
    y = add_simple_node(g, OpType::kTranspose, "shuffle", {y}, t);
    NodeAttrs r2;
    r2.shape = {1, 8, 4, 4};
    add_simple_node(g, OpType::kReshape, "merge_groups", {y}, r2);
    RunResult r = check_case(g, "channel shuffle");
    CHECK(r.stats.alias_nodes == 2);
    CHECK(r.fallbacks.empty());
  }
  for (PadMode mode : {PadMode::kConstant, PadMode::kReflect, PadMode::kEdge}) {
    Graph g;
    int x = add_input(g, "x", {1, 3, 5, 6});
    NodeAttrs a;
    a.pads = {0, 0, 1, 2, 0, 0, 2, 1};
    a.pad_mode = mode;
    a.pad_value = 0.25f;
    add_simple_node(g, OpType::kPad, "pad", {x}, a);
    check_case(g, "pad mode " + std::to_string(int(mode)));
  }
}

TEST_CASE("opencl op: resize nearest and bilinear, fp32 and fp16 storage") {
  struct Case {
    ResizeMode mode;
    ResizeCoordinate coord;
    ResizeNearest nearest;
    Shape in, out;
    float sh, sw;
    bool from_sizes;
  };
  const Case cases[] = {
      {ResizeMode::kNearest,
       ResizeCoordinate::kAsymmetric,
       ResizeNearest::kFloor,
       {1, 3, 4, 5},
       {1, 3, 8, 10},
       2,
       2,
       false},
      {ResizeMode::kNearest,
       ResizeCoordinate::kHalfPixel,
       ResizeNearest::kRoundPreferCeil,
       {2, 2, 5, 7},
       {2, 2, 3, 11},
       0.6f,
       1.6f,
       true},
      {ResizeMode::kLinear,
       ResizeCoordinate::kHalfPixel,
       ResizeNearest::kFloor,
       {1, 4, 7, 7},
       {1, 4, 28, 28},
       4,
       4,
       true},
      {ResizeMode::kLinear,
       ResizeCoordinate::kAlignCorners,
       ResizeNearest::kFloor,
       {1, 2, 6, 5},
       {1, 2, 4, 9},
       0.75f,
       1.8f,
       false},
      {ResizeMode::kLinear,
       ResizeCoordinate::kPytorchHalfPixel,
       ResizeNearest::kFloor,
       {1, 2, 3, 3},
       {1, 2, 1, 5},
       0.34f,
       1.7f,
       false},
  };
  for (const Case& c : cases) {
    Graph g;
    int x = add_input(g, "x", c.in);
    NodeAttrs a;
    a.resize_mode = c.mode;
    a.resize_coordinate = c.coord;
    a.resize_nearest = c.nearest;
    a.sizes = c.out;
    a.scales = {1, 1, c.sh, c.sw};
    a.resize_from_sizes = c.from_sizes;
    add_simple_node(g, OpType::kResize, "resize", {x}, a);
    const std::string name = "resize mode " + std::to_string(int(c.mode)) + " coordinate " +
                             std::to_string(int(c.coord)) + " to " + shape_to_string(c.out);
    RunResult r = check_case(g, name);
    CHECK(r.fallbacks.empty());
  }
}

TEST_CASE("opencl op: concat in place, concat by copy, split, slice fallback") {
  {
    Graph g;  // two convs write straight into their slices of the concat
    int x = add_input(g, "x", {1, 4, 6, 6});
    int a =
        add_simple_node(g, OpType::kConv, "c1", {x, add_random_constant(g, "w1", {3, 4, 1, 1}, 1)},
                        conv_attrs({1, 1}, {1, 1}, {0, 0, 0, 0}));
    int b =
        add_simple_node(g, OpType::kConv, "c2", {x, add_random_constant(g, "w2", {5, 4, 3, 3}, 2)},
                        conv_attrs({3, 3}, {1, 1}, {1, 1, 1, 1}));
    NodeAttrs c;
    c.axis = 1;
    int y = add_simple_node(g, OpType::kConcat, "cat", {a, x, b}, c);  // x: a range input, copied
    add_simple_node(g, OpType::kRelu, "relu", {y});
    RunResult r = check_case(g, "concat in place");
    CHECK(r.stats.in_place_concat_inputs == 2);
  }
  {
    Graph g;  // batch 2: slices are not contiguous, every input copied
    int x = add_input(g, "x", {2, 3, 4, 4});
    int a = add_simple_node(g, OpType::kRelu, "r", {x});
    NodeAttrs c;
    c.axis = 1;
    add_simple_node(g, OpType::kConcat, "cat", {a, x}, c);
    RunResult r = check_case(g, "concat copy");
    CHECK(r.stats.in_place_concat_inputs == 0);
  }
  {
    Graph g;
    int x = add_input(g, "x", {2, 8, 3, 3});
    Node n;
    n.name = "split";
    n.op = OpType::kSplit;
    n.inputs = {x};
    n.outputs = {add_value(g, "s0"), add_value(g, "s1")};
    n.attrs.axis = 1;
    n.attrs.split = {3, 5};
    g.add_node(n);
    g.outputs = n.outputs;
    check_case(g, "split");
  }
  {
    Graph g;
    int x = add_input(g, "x", {1, 6, 5, 5});
    NodeAttrs s;
    s.starts = {1};
    s.ends = {4};
    s.axes = {1};
    s.steps = {1};
    int y = add_simple_node(g, OpType::kSlice, "slice", {x}, s);
    add_simple_node(g, OpType::kRelu, "relu", {y});
    RunResult r = check_case(g, "slice fallback");
    REQUIRE(r.fallbacks.size() == 1);
    CHECK(r.fallbacks[0] == "slice");
    CHECK(r.stats.fallback_nodes == 1);
  }
}

// A small CNN touching six programs; shared by the cache test.
Graph small_cnn() {
  Graph g;
  int x = add_input(g, "image", {1, 3, 32, 32});
  NodeAttrs c1 = conv_attrs({3, 3}, {2, 2}, {1, 1, 1, 1});
  c1.activation.min = 0;
  int y = add_simple_node(
      g, OpType::kConv, "conv1",
      {x, add_random_constant(g, "w1", {16, 3, 3, 3}, 1), add_random_constant(g, "b1", {16}, 2)},
      c1);
  NodeAttrs mp;
  mp.kernel_shape = {2, 2};
  mp.strides = {2, 2};
  mp.pads = {0, 0, 0, 0};
  int p = add_simple_node(g, OpType::kMaxPool, "pool", {y}, mp);
  int z = add_simple_node(
      g, OpType::kConv, "conv2",
      {p, add_random_constant(g, "w2", {16, 16, 3, 3}, 3), add_random_constant(g, "b2", {16}, 4)},
      conv_attrs({3, 3}, {1, 1}, {1, 1, 1, 1}));
  NodeAttrs add;
  add.activation.min = 0;
  int s = add_simple_node(g, OpType::kAdd, "residual", {z, p}, add);
  int gp = add_simple_node(g, OpType::kGlobalAveragePool, "gap", {s});
  NodeAttrs fl;
  fl.axis = 1;
  int f = add_simple_node(g, OpType::kFlatten, "flatten", {gp}, fl);
  NodeAttrs fc;
  fc.trans_b = true;
  int logits = add_simple_node(
      g, OpType::kGemm, "fc",
      {f, add_random_constant(g, "wf", {10, 16}, 5), add_random_constant(g, "bf", {10}, 6)}, fc);
  NodeAttrs sm;
  sm.axis = 1;
  add_simple_node(g, OpType::kSoftmax, "softmax", {logits}, sm);
  g.outputs = g.nodes.back().outputs;
  return g;
}

TEST_CASE("opencl: a small CNN end to end, transfer counters") {
  Graph g = small_cnn();
  RunResult r = check_case(g, "small cnn");
  CHECK(r.fallbacks.empty());
  // One hand-over each way: a copy, or under handover=auto on a device sharing
  // host memory a map of the caller's buffer when it is aligned for that.
  CHECK(r.stats.uploads + r.stats.mapped_inputs == 1);
  CHECK(r.stats.downloads + r.stats.mapped_outputs == 1);
  CHECK(r.stats.upload_bytes == r.stats.uploads * 3 * 32 * 32 * 4);
  CHECK(r.stats.download_bytes == r.stats.downloads * 10 * 4);
  CHECK(r.stats.weight_bytes > 0);
  CHECK(r.stats.arena_bytes > 0);
  // Profiling: one time per node, and a split range (nodes 2..) takes its input from the host.
  auto exe = opencl()->compile(g, 2, static_cast<int>(g.nodes.size()));
  REQUIRE_MESSAGE(exe.ok(), exe.status().to_string());
  REQUIRE((*exe)->io().inputs.size() == 1);
  std::vector<float> mid(size_t(shape_elements(g.tensor((*exe)->io().inputs[0]).shape)), 0.5f);
  std::vector<float> out(10);
  const float* in_ptr = mid.data();
  float* out_ptr = out.data();
  std::vector<double> node_ms;
  RunOptions opts;
  opts.node_ms = &node_ms;
  Status st = (*exe)->run(&in_ptr, &out_ptr, opts);
  REQUIRE_MESSAGE(st.ok(), st.to_string());
  CHECK(node_ms.size() == g.nodes.size() - 2);
  for (double ms : node_ms) CHECK(ms >= 0);
}

TEST_CASE("opencl: gemm=clblast and gemm=tiled match the reference too") {
  use_test_cache_dir();
  for (const char* option : {"gemm=clblast", "gemm=tiled"}) {
    auto proc = create_processor(spec(option));
    REQUIRE_MESSAGE(proc.ok(), proc.status().to_string());
    CHECK((*proc)->spec() == spec(option));
    Graph g;
    int x = add_input(g, "x", {2, 16, 5, 5});
    NodeAttrs a = conv_attrs({1, 1}, {1, 1}, {0, 0, 0, 0});
    a.activation.min = 0;
    int y = add_simple_node(
        g, OpType::kConv, "conv1x1",
        {x, add_random_constant(g, "w", {24, 16, 1, 1}, 1), add_random_constant(g, "b", {24}, 2)},
        a);
    NodeAttrs r;
    r.shape = {20, 60};
    int z = add_simple_node(g, OpType::kReshape, "rows", {y}, r);
    NodeAttrs gm;
    gm.trans_b = true;
    add_simple_node(
        g, OpType::kGemm, "gemm",
        {z, add_random_constant(g, "wg", {7, 60}, 3), add_random_constant(g, "bg", {7}, 4)}, gm);
    g.outputs = g.nodes.back().outputs;
    REQUIRE(infer_shapes(g).ok());
    std::vector<std::vector<float>> in{random_floats(2 * 16 * 25, 3)};
    RunResult want = run_on(reference(), g, in);
    RunResult got = run_on(proc->get(), g, in);
    INFO(option);
    CHECK(relative_error(got.outputs[0], want.outputs[0]) <= 1e-3);
  }
}

TEST_CASE("opencl: program cache on disk, second start builds nothing") {
  std::string dir = temp_path("opencl_cache_fresh");
  std::filesystem::remove_all(dir);
  const char* old = std::getenv("TANDEM_CACHE_DIR");
  std::string saved = old ? old : "";
  setenv("TANDEM_CACHE_DIR", dir.c_str(), 1);
  Graph g = small_cnn();
  REQUIRE(infer_shapes(g).ok());
  std::vector<float> image = random_floats(3 * 32 * 32, 1), out(10);
  const float* in_ptr = image.data();
  float* out_ptr = out.data();
  OpenCLRangeStats first, second;
  double first_run_ms[2] = {0, 0};
  for (int start = 0; start < 2; ++start) {
    auto proc = create_processor(spec());  // a new context: nothing in memory
    REQUIRE(proc.ok());
    auto exe = (*proc)->compile(g, 0, static_cast<int>(g.nodes.size()));
    REQUIRE_MESSAGE(exe.ok(), exe.status().to_string());
    auto t0 = std::chrono::steady_clock::now();
    REQUIRE((*exe)->run(&in_ptr, &out_ptr).ok());
    first_run_ms[start] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    (start == 0 ? first : second) = *opencl_range_stats(**exe);
  }
  setenv("TANDEM_CACHE_DIR", saved.c_str(), 1);
  MESSAGE("first start: compile " << first.compile_ms << " ms (" << first.programs_built
                                  << " programs built), first run " << first_run_ms[0]
                                  << " ms; cached start: compile " << second.compile_ms << " ms ("
                                  << second.programs_from_disk << " from disk), first run "
                                  << first_run_ms[1] << " ms");
  CHECK(first.programs_built == 4);  // conv_igemm, vec_ops, gemm, global_pool
  CHECK(first.programs_from_disk == 0);
  CHECK(second.programs_built == 0);
  CHECK(second.programs_from_disk == 4);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    files += e.path().extension() == ".clbin";
  CHECK(files == 4);
}

TEST_CASE("opencl: a kernel that fails to build returns its build log") {
  auto devices = ocl::list_opencl_devices();
  REQUIRE(devices.ok());
  auto ctx = ocl::open_device_context((*devices).back(), false);
  REQUIRE(ctx.ok());
  ocl::ProgramCache cache(*ctx, "");
  auto p =
      cache.build("broken", "kernel void broken(global float* x) { x[0] = undeclared_name; }", "");
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().message().find("broken.cl failed to build") != std::string::npos);
  CHECK(p.status().message().find("undeclared_name") != std::string::npos);
}

TEST_CASE("opencl: a model too large for the device is an error, not a crash") {
  Graph g;
  int x = add_input(g, "x", {4, 1024, 1024, 1024});  // 17 GB of float32
  add_simple_node(g, OpType::kRelu, "relu", {x});
  g.outputs = g.nodes.back().outputs;
  REQUIRE(infer_shapes(g).ok());
  auto exe = opencl()->compile(g, 0, 1);
  REQUIRE_FALSE(exe.ok());
  CHECK(exe.status().code() == StatusCode::kResourceExhausted);
}

TEST_CASE("opencl: fp16 storage accuracy (opencl:fp16=storage, any device)") {
  use_test_cache_dir();
  auto proc = create_processor(spec("fp16=storage"));
  REQUIRE_MESSAGE(proc.ok(), proc.status().to_string());
  CHECK((*proc)->spec() == spec("fp16=storage"));
  // The small CNN, and a graph with every data-movement kernel plus a fallback node.
  Graph cnn = small_cnn();
  Graph moves;
  {
    int x = add_input(moves, "x", {1, 4, 6, 6});
    int a = add_simple_node(moves, OpType::kConv, "c1",
                            {x, add_random_constant(moves, "w1", {8, 4, 3, 3}, 1)},
                            conv_attrs({3, 3}, {1, 1}, {1, 1, 1, 1}));
    NodeAttrs c;
    c.axis = 1;
    int y = add_simple_node(moves, OpType::kConcat, "cat", {a, x}, c);
    NodeAttrs p;
    p.pads = {0, 0, 1, 1, 0, 0, 1, 1};
    p.pad_mode = PadMode::kReflect;
    y = add_simple_node(moves, OpType::kPad, "pad", {y}, p);
    NodeAttrs r;  // its index table stays 32-bit integers under fp16
    r.resize_mode = ResizeMode::kLinear;
    r.sizes = {1, 12, 11, 16};
    r.scales = {1, 1, 1.375f, 2};
    y = add_simple_node(moves, OpType::kResize, "resize", {y}, r);
    NodeAttrs t;
    t.perm = {0, 2, 3, 1};
    y = add_simple_node(moves, OpType::kTranspose, "nhwc", {y}, t);
    NodeAttrs s;
    s.starts = {1};
    s.ends = {5};
    s.axes = {1};
    s.steps = {1};
    add_simple_node(moves, OpType::kSlice, "slice", {y}, s);  // reference fallback
    moves.outputs = moves.nodes.back().outputs;
  }
  for (Graph* g : {&cnn, &moves}) {
    REQUIRE(infer_shapes(*g).ok());
    std::vector<std::vector<float>> in{
        random_floats(size_t(shape_elements(g->tensor(g->inputs[0]).shape)), 5)};
    RunResult want = run_on(reference(), *g, in);
    RunResult got = run_on(proc->get(), *g, in);
    double err = relative_error(got.outputs[0], want.outputs[0]);
    MESSAGE("fp16 storage, " << std::string(g == &cnn ? "small cnn"
                                                      : "concat/pad/resize/transpose/slice")
                             << ": relative error " << err);
    CHECK(err < 1e-2);
    CHECK(err > 0);  // really stored in half: exact agreement would mean fp32 ran
    if (g == &cnn)   // half on the wire: 2 bytes per element
      CHECK(got.stats.upload_bytes == size_t(shape_elements(g->tensor(g->inputs[0]).shape)) * 2);
  }
}
