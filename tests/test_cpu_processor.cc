// The cpu (XNNPACK) processor against the reference kernels: every op case,
// fused activations, in-place concat, the fallback path, specs, and two
// processors on disjoint cores running at once.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

#include "engine/processor_registry.h"
#include "kernels/cpu/compiler/cpu_executable.h"
#include "kernels/cpu/cpu_processor.h"
#include "tests/cpu_compare.h"
#include "tests/helpers.h"
#include "tests/skip.h"
#include "tools/support/fma_peak.h"

using namespace tandem;

using namespace tandem::cpu_test;

TEST_CASE("cpu conv2d matches the reference: dense, strided, grouped, depthwise, fused") {
  FusedActivation relu{0.0f, kInf}, relu6{0.0f, 6.0f};
  SUBCASE("3x3 pad 1 with bias and fused relu") {
    CHECK(compare(conv_graph(16, 12, 10, 24, conv_attrs(3, 1, 1), true, relu)) <= kTolerance);
  }
  SUBCASE("3x3 stride 2, no bias") {
    CHECK(compare(conv_graph(8, 15, 15, 16, conv_attrs(3, 2, 1), false)) <= kTolerance);
  }
  SUBCASE("1x1") {
    CHECK(compare(conv_graph(32, 7, 7, 64, conv_attrs(1, 1, 0), true)) <= kTolerance);
  }
  SUBCASE("7x7 stride 2 first layer") {
    CHECK(compare(conv_graph(3, 32, 32, 16, conv_attrs(7, 2, 3), true, relu)) <= kTolerance);
  }
  SUBCASE("grouped") {
    CHECK(compare(conv_graph(16, 9, 9, 32, conv_attrs(3, 1, 1, 4), true)) <= kTolerance);
  }
  SUBCASE("depthwise with fused relu6") {
    CHECK(compare(conv_graph(24, 14, 14, 24, conv_attrs(3, 2, 1, 24), true, relu6)) <= kTolerance);
  }
  SUBCASE("dilated, asymmetric pads") {
    NodeAttrs a = conv_attrs(3, 1, 0);
    a.dilations = {2, 2};
    a.pads = {2, 1, 0, 3};
    CHECK(compare(conv_graph(8, 11, 12, 8, a, true), "cpu:threads=1") <= kTolerance);
  }
}

TEST_CASE("cpu fully connected matches the reference") {
  for (bool trans_b : {true, false}) {
    CAPTURE(trans_b);
    Graph g;
    int x = test::add_input(g, "x", {3, 40});
    int b = test::add_random_constant(g, "b", trans_b ? Shape{24, 40} : Shape{40, 24}, 3);
    int c = test::add_random_constant(g, "c", {24}, 4);
    NodeAttrs a;
    a.trans_b = trans_b;
    a.alpha = 0.5f;
    a.beta = 2.0f;
    a.activation = {0.0f, kInf};
    g.outputs = {node(g, OpType::kGemm, "gemm", {x, b, c}, {3, 24}, a)};
    CHECK(compare(g) <= kTolerance);
  }
  SUBCASE("weights over 64 MiB are packed in slices of output rows") {
    Graph big;
    int bx = test::add_input(big, "x", {1, 4096});
    int bw = test::add_random_constant(big, "w", {4200, 4096}, 5);
    int bc = test::add_random_constant(big, "c", {4200}, 6);
    NodeAttrs ba;
    ba.trans_b = true;
    big.outputs = {node(big, OpType::kGemm, "fc", {bx, bw, bc}, {1, 4200}, ba)};
    CHECK(compare(big, "cpu:threads=1") <= kTolerance);
  }
  Graph g;
  int x = test::add_input(g, "x", {2, 5, 16});
  int b = test::add_random_constant(g, "b", {16, 8}, 3);
  g.outputs = {node(g, OpType::kMatMul, "mm", {x, b}, {2, 5, 8})};
  std::vector<std::string> fb;
  CHECK(compare(g, "cpu:threads=2", &fb) <= kTolerance);
  CHECK(fb.empty());
}

TEST_CASE("cpu pooling matches the reference") {
  auto pool_graph = [](OpType op, NodeAttrs a, Shape in, Shape out) {
    Graph g;
    int x = test::add_input(g, "x", in);
    g.outputs = {node(g, op, "pool", {x}, out, a)};
    return g;
  };
  NodeAttrs mp = conv_attrs(3, 2, 1);
  CHECK(compare(pool_graph(OpType::kMaxPool, mp, {1, 16, 14, 14}, {1, 16, 7, 7})) <= kTolerance);
  NodeAttrs ceil = conv_attrs(3, 2, 0);
  ceil.ceil_mode = true;
  CHECK(compare(pool_graph(OpType::kMaxPool, ceil, {1, 8, 14, 14}, {1, 8, 7, 7})) <= kTolerance);
  NodeAttrs ap = conv_attrs(2, 2, 0);
  CHECK(compare(pool_graph(OpType::kAveragePool, ap, {2, 8, 8, 8}, {2, 8, 4, 4})) <= kTolerance);
  NodeAttrs ap_pad = conv_attrs(3, 1, 1);
  CHECK(compare(pool_graph(OpType::kAveragePool, ap_pad, {1, 8, 6, 6}, {1, 8, 6, 6})) <=
        kTolerance);
  std::vector<std::string> fb;
  ap_pad.count_include_pad = true;  // not XNNPACK's convention: reference fallback
  CHECK(compare(pool_graph(OpType::kAveragePool, ap_pad, {1, 8, 6, 6}, {1, 8, 6, 6}),
                "cpu:threads=2", &fb) <= kTolerance);
  CHECK(fb == std::vector<std::string>{"pool"});
  NodeAttrs unit = conv_attrs(1, 1, 0);  // VGG's adaptive average pool at 7x7: a copy
  fb.clear();
  CHECK(compare(pool_graph(OpType::kAveragePool, unit, {1, 8, 7, 7}, {1, 8, 7, 7}), "cpu:threads=2",
                &fb) <= kTolerance);
  CHECK(fb.empty());
  CHECK(compare(pool_graph(OpType::kGlobalAveragePool, {}, {1, 32, 7, 7}, {1, 32, 1, 1})) <=
        kTolerance);
  CHECK(compare(pool_graph(OpType::kGlobalMaxPool, {}, {1, 32, 5, 5}, {1, 32, 1, 1})) <=
        kTolerance);
  NodeAttrs rm;
  rm.axes = {2, 3};
  rm.keepdims = true;
  fb.clear();
  CHECK(compare(pool_graph(OpType::kReduceMean, rm, {1, 16, 4, 4}, {1, 16, 1, 1}), "cpu:threads=2",
                &fb) <= kTolerance);
  CHECK(fb.empty());
}

TEST_CASE("cpu binary elementwise: same shape, broadcasting, fused activation") {
  for (OpType op : {OpType::kAdd, OpType::kSub, OpType::kMul, OpType::kDiv}) {
    CAPTURE(op_name(op));
    Graph g;
    int x = test::add_input(g, "x", {1, 8, 5, 6});
    int y = test::add_input(g, "y", {1, 8, 5, 6});
    int a = node(g, OpType::kRelu, "ra", {x}, {1, 8, 5, 6});  // keep Div's divisor away from 0
    NodeAttrs at;
    at.activation = {0.0f, kInf};
    int out = op == OpType::kDiv
                  ? node(g, op, "op", {y, node(g, OpType::kSigmoid, "s", {a}, {1, 8, 5, 6})},
                         {1, 8, 5, 6}, at)
                  : node(g, op, "op", {a, y}, {1, 8, 5, 6}, at);
    g.outputs = {out};
    CHECK(compare(g) <= kTolerance);
  }
  SUBCASE("per-channel constant, scalar constant, SE-style activation broadcast") {
    Graph g;
    int x = test::add_input(g, "x", {1, 16, 6, 6});
    int bias = test::add_random_constant(g, "bias", {16, 1, 1}, 5);
    int scalar = test::add_random_constant(g, "scalar", {1}, 6);
    int a = node(g, OpType::kAdd, "add_c", {x, bias}, {1, 16, 6, 6});
    int s = node(g, OpType::kSub, "sub_s", {a, scalar}, {1, 16, 6, 6});
    int gap = node(g, OpType::kGlobalAveragePool, "gap", {s}, {1, 16, 1, 1});
    int sig = node(g, OpType::kSigmoid, "sig", {gap}, {1, 16, 1, 1});
    g.outputs = {node(g, OpType::kMul, "se", {s, sig}, {1, 16, 6, 6})};
    std::vector<std::string> fb;
    CHECK(compare(g, "cpu:threads=2", &fb) <= kTolerance);
    CHECK(fb.empty());
  }
  SUBCASE("2-D broadcast") {
    Graph g;
    int x = test::add_input(g, "x", {4, 10});
    int r = test::add_random_constant(g, "r", {10}, 5);
    g.outputs = {node(g, OpType::kMul, "mul", {x, r}, {4, 10})};
    CHECK(compare(g) <= kTolerance);
  }
}

TEST_CASE("cpu Erf is native and bit-identical to the reference") {
  for (const char* spec : {"cpu:threads=1", "cpu:threads=2"}) {
    for (Shape shape : {Shape{1, 12, 5, 7}, Shape{2, 3, 1, 1}, Shape{3, 33}, Shape{7}}) {
      CAPTURE(spec);
      CAPTURE(shape_to_string(shape));
      Graph g;
      int x = test::add_input(g, "x", shape);
      g.outputs = {node(g, OpType::kErf, "erf", {x}, shape)};
      std::vector<std::string> fb;
      CHECK(compare(g, spec, &fb) == 0.0);
      CHECK(fb.empty());  // runs on the own kernel, not the reference fallback
    }
  }
}

TEST_CASE("cpu unary ops, softmax and pad match the reference") {
  for (OpType op : {OpType::kRelu, OpType::kClip, OpType::kSigmoid, OpType::kHardSwish,
                    OpType::kLeakyRelu, OpType::kHardSigmoid, OpType::kTanh, OpType::kErf}) {
    for (Shape shape : {Shape{1, 12, 5, 7}, Shape{3, 33}}) {
      CAPTURE(op_name(op));
      Graph g;
      int x = test::add_input(g, "x", shape);
      NodeAttrs a;
      a.clip_min = -0.25f;
      a.clip_max = 0.5f;
      a.alpha = op == OpType::kHardSigmoid ? 0.3f : 0.1f;
      a.beta = 0.4f;
      g.outputs = {node(g, op, "u", {x}, shape, a)};
      std::vector<std::string> fb;
      CHECK(compare(g, "cpu:threads=2", &fb) <= kTolerance);
      CHECK(fb.empty());
    }
  }
  // The own HardSigmoid and Tanh on pixel strides: input and output are slices of
  // concatenations (the run-per-pixel path of ElementwiseRows).
  for (OpType op : {OpType::kHardSigmoid, OpType::kTanh, OpType::kErf}) {
    CAPTURE(op_name(op));
    Graph g;
    int x = test::add_input(g, "x", {1, 6, 5, 7});
    int y = test::add_input(g, "y", {1, 3, 5, 7});
    int w = test::add_random_constant(g, "w", {5, 6, 1, 1}, 4);
    int a = node(g, OpType::kConv, "conv", {x, w}, {1, 5, 5, 7}, conv_attrs(1, 1, 0));
    NodeAttrs cat;
    cat.axis = 1;
    int c1 = node(g, OpType::kConcat, "cat1", {a, y}, {1, 8, 5, 7}, cat);
    NodeAttrs ua;
    ua.alpha = 0.3f;
    ua.beta = 0.4f;
    int u = node(g, op, "u", {a}, {1, 5, 5, 7}, ua);
    int c2 = node(g, OpType::kConcat, "cat2", {y, u}, {1, 8, 5, 7}, cat);
    g.outputs = {c1, c2};
    std::vector<std::string> fb;
    int64_t copies = -1;
    CHECK(compare(g, "cpu:threads=2", &fb, &copies) <= kTolerance);
    CHECK(fb.empty());
    CHECK(copies <= 2);  // y into both concats; the conv and the unary op write in place
  }
  for (Shape shape : {Shape{2, 1000}, Shape{1, 10, 3, 3}}) {
    Graph g;
    int x = test::add_input(g, "x", shape);
    NodeAttrs a;
    a.axis = 1;
    g.outputs = {node(g, OpType::kSoftmax, "softmax", {x}, shape, a)};
    std::vector<std::string> fb;
    CHECK(compare(g, "cpu:threads=2", &fb) <= kTolerance);
    CHECK(fb.empty());
  }
  Graph g;
  int x = test::add_input(g, "x", {1, 4, 5, 5});
  NodeAttrs a;
  a.pads = {0, 1, 2, 0, 0, 3, 1, 2};
  a.pad_value = 0.5f;
  g.outputs = {node(g, OpType::kPad, "pad", {x}, {1, 8, 8, 7}, a)};
  std::vector<std::string> fb;
  CHECK(compare(g, "cpu:threads=2", &fb) <= kTolerance);
  CHECK(fb.empty());
}

TEST_CASE("cpu dense block: concat in place, no copies, matches the reference") {
  // DenseNet's pattern: every layer reads the concat of all earlier features,
  // the block ends with the concat of all of them.
  Graph g;
  int x = test::add_input(g, "x", {1, 3, 10, 10});
  int w0 = test::add_random_constant(g, "w0", {8, 3, 3, 3}, 1);
  NodeAttrs c3 = conv_attrs(3, 1, 1);
  int x0 = node(g, OpType::kConv, "stem", {x, w0}, {1, 8, 10, 10}, c3);
  std::vector<int> features = {x0};
  int64_t channels = 8;
  for (int layer = 0; layer < 3; ++layer) {
    std::string l = "l" + std::to_string(layer);
    NodeAttrs cat;
    cat.axis = 1;
    int in = node(g, OpType::kConcat, l + "_cat", features, {1, channels, 10, 10}, cat);
    std::vector<int> bn_in = {in};
    for (int k = 0; k < 4; ++k) {
      std::vector<float> v = test::random_floats(size_t(channels), uint32_t(100 + layer * 4 + k),
                                                 k == 3 ? 0.5f : -1.0f, k == 3 ? 1.5f : 1.0f);
      bn_in.push_back(g.add_constant(l + "_bn" + std::to_string(k), {channels}, v));
    }
    int bn = node(g, OpType::kBatchNormalization, l + "_bn", bn_in, {1, channels, 10, 10});
    int relu = node(g, OpType::kRelu, l + "_relu", {bn}, {1, channels, 10, 10});
    int w = test::add_random_constant(g, l + "_w", {4, channels, 3, 3}, uint32_t(20 + layer));
    NodeAttrs ca = c3;
    ca.activation = {0.0f, kInf};
    features.push_back(node(g, OpType::kConv, l + "_conv", {relu, w}, {1, 4, 10, 10}, ca));
    channels += 4;
  }
  NodeAttrs cat;
  cat.axis = 1;
  int block = node(g, OpType::kConcat, "block_cat", features, {1, channels, 10, 10}, cat);
  NodeAttrs ap = conv_attrs(2, 2, 0);
  g.outputs = {node(g, OpType::kAveragePool, "transition", {block}, {1, channels, 5, 5}, ap)};
  int64_t copies = -1;
  std::vector<std::string> fb;
  CHECK(compare(g, "cpu:threads=2", &fb, &copies) <= kTolerance);
  CHECK(copies == 0);
  CHECK(fb.empty());
  // Cut inside the block: the boundary tensors arrive NCHW and are placed strided.
  auto ref = make("reference");
  auto cpu = make("cpu:threads=1");
  for (int first : {3, 6}) {
    CAPTURE(first);
    int n = int(g.nodes.size());
    Tensors in = random_inputs(g, first, n);
    Tensors want = run_range(*ref, g, first, n, in);
    Tensors got = run_range(*cpu, g, first, n, in);
    for (size_t i = 0; i < want.size(); ++i)
      CHECK(test::relative_error(got[i], want[i]) <= kTolerance);
  }
}

TEST_CASE("cpu concat that cannot be in place copies, and ops without a native kernel fall back") {
  Graph g;
  int x = test::add_input(g, "x", {1, 6, 5, 5});
  int y = test::add_input(g, "y", {1, 6, 5, 5});
  int a = node(g, OpType::kAdd, "add", {x, y}, {1, 6, 5, 5});
  int r = node(g, OpType::kAdd, "add2", {a, y}, {1, 6, 5, 5});
  NodeAttrs rev;  // a negative step: no native kernel (Transpose has one now)
  rev.starts = {-1};
  rev.ends = {-1000};
  rev.axes = {3};
  rev.steps = {-1};
  int t = node(g, OpType::kSlice, "reverse", {r}, {1, 6, 5, 5}, rev);
  int th = node(g, OpType::kTanh, "tanh", {t}, {1, 6, 5, 5});
  NodeAttrs cat;
  cat.axis = 1;
  int c = node(g, OpType::kConcat, "cat", {a, th, a}, {1, 18, 5, 5}, cat);
  int f = node(g, OpType::kFlatten, "flatten", {c}, {1, 450});
  int w = test::add_random_constant(g, "w", {10, 450}, 9);
  NodeAttrs gemm;
  gemm.trans_b = true;
  g.outputs = {node(g, OpType::kGemm, "fc", {f, w}, {1, 10}, gemm), c};
  std::vector<std::string> fb;
  int64_t copies = -1;
  CHECK(compare(g, "cpu:threads=2", &fb, &copies) <= kTolerance);
  CHECK(fb == std::vector<std::string>{"reverse"});
  CHECK(copies >= 2);  // `a` twice in the concat: it cannot sit in both slices
}

TEST_CASE("cpu specs parse, print canonically and reject bad input") {
  auto spec = [](const std::string& text) {
    auto ps = parse_processor_spec(text);
    REQUIRE(ps.ok());
    return parse_cpu_spec(ps.value());
  };
  std::vector<int> avail = cpu_available_cores();
  REQUIRE(!avail.empty());
  auto all = spec("cpu");
  REQUIRE(all.ok());
  CHECK(all->threads == int(avail.size()));
  CHECK(all->cores.empty());
  auto t3 = spec("cpu:threads=3");
  REQUIRE(t3.ok());
  CHECK(cpu_spec_text(t3.value()) == "cpu:threads=3");
  auto one = spec("cpu:cores=" + std::to_string(avail[0]));
  REQUIRE(one.ok());
  CHECK(one->threads == 1);
  CHECK(cpu_spec_text(one.value()) == "cpu:cores=" + std::to_string(avail[0]));
  if (avail.size() >= 2 && avail[1] == avail[0] + 1) {
    std::string range = std::to_string(avail[0]) + "-" + std::to_string(avail[1]);
    auto two = spec("cpu:cores=" + range + ",threads=4");
    REQUIRE(two.ok());
    CHECK(two->cores.size() == 2);
    CHECK(cpu_spec_text(two.value()) == "cpu:cores=" + range + ",threads=4");
  }
  for (const char* bad :
       {"cpu:thread=2", "cpu:threads=0", "cpu:threads=abc", "cpu:threads=-1", "cpu:cores=4096",
        "cpu:cores=1-0", "cpu:threads=1,threads=2", "cpu:cores=", "cpu:threads=99999999"}) {
    CAPTURE(bad);
    auto s = spec(bad);
    CHECK_FALSE(s.ok());
    if (!s.ok()) CHECK(s.status().code() == StatusCode::kInvalidArgument);
  }
  auto missing = spec("cpu:cores=4096");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("core 4096 does not exist") != std::string::npos);
  auto p = registry().create("cpu:threads=2");
  REQUIRE(p.ok());
  CHECK(p.value()->threads() == 2);
  CHECK(p.value()->spec() == "cpu:threads=2");
  CHECK_FALSE(registry().create("cpu:bogus").ok());
}

TEST_CASE("two cpu processors on disjoint cores run at the same time with correct results") {
  std::vector<int> avail = cpu_available_cores();
  if (!test::skip_unless(avail.size() >= 2, "fewer than two cores available")) {
    return;
  }
  Graph g = conv_graph(16, 20, 20, 32, conv_attrs(3, 1, 1), true, {0.0f, kInf});
  Tensors in = random_inputs(g, 0, 1);
  auto ref = make("reference");
  Tensors want = run_range(*ref, g, 0, 1, in);
  auto p0 = make("cpu:cores=" + std::to_string(avail[0]));
  auto p1 = make("cpu:cores=" + std::to_string(avail[1]));
  CHECK(p0->cores() == std::vector<int>{avail[0]});
  auto e0 = p0->compile(g, 0, 1);
  auto e1 = p1->compile(g, 0, 1);
  REQUIRE(e0.ok());
  REQUIRE(e1.ok());
  double err[2] = {1, 1};
  bool ok[2] = {false, false};
  auto worker = [&](int k, Processor& p, Executable& e) {
    if (!p.bind_current_thread().ok()) return;
    std::vector<float> out(want[0].size());
    const float* i0 = in[0].data();
    float* o0 = out.data();
    ok[k] = true;
    err[k] = 0;
    for (int rep = 0; rep < 30; ++rep) {
      std::fill(out.begin(), out.end(), -1.0f);
      ok[k] &= e.run(&i0, &o0).ok();
      err[k] = std::max(err[k], test::relative_error(out, want[0]));
    }
  };
  std::thread t0(worker, 0, std::ref(*p0), std::ref(*e0.value()));
  std::thread t1(worker, 1, std::ref(*p1), std::ref(*e1.value()));
  t0.join();
  t1.join();
  CHECK(ok[0]);
  CHECK(ok[1]);
  CHECK(err[0] <= kTolerance);
  CHECK(err[1] <= kTolerance);
}

TEST_CASE("cpu executable reports per-node times") {
  Graph g = conv_graph(8, 8, 8, 8, conv_attrs(3, 1, 1), true);
  int y = g.outputs[0];
  g.outputs = {node(g, OpType::kRelu, "relu", {y}, g.tensor(y).shape)};
  auto cpu = make("cpu:threads=1");
  auto exe = cpu->compile(g, 0, 2);
  REQUIRE(exe.ok());
  std::vector<float> in = test::random_floats(8 * 64, 1), out(8 * 64);
  const float* ip = in.data();
  float* op = out.data();
  std::vector<double> ms;
  RunOptions opt;
  opt.node_ms = &ms;
  REQUIRE(exe.value()->run(&ip, &op, opt).ok());
  REQUIRE(ms.size() == 2);
  CHECK(ms[0] >= 0);
  CHECK(ms[1] >= 0);
  CHECK_FALSE(cpu->compile(g, 1, 5).ok());
}

TEST_CASE("weight pages of a file mapping are released after packing, heap ones kept") {
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  const size_t count = 4 * page / sizeof(float);
  std::vector<float> values = test::random_floats(count, 3);
  std::string path = test::temp_path("cpu_weights.bin");
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  REQUIRE(std::fwrite(values.data(), sizeof(float), count, f) == count);
  std::fclose(f);
  int fd = open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  void* map = mmap(nullptr, count * sizeof(float), PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  REQUIRE(map != MAP_FAILED);
  auto c = std::make_shared<ConstantData>();
  c->data = map;
  c->bytes = count * sizeof(float);
  c->owner = std::shared_ptr<void>(map, [n = c->bytes](void* p) { munmap(p, n); });
  CHECK(cpu::release_constant_pages({c.get()}) == 4 * page);
  // The pages come back from the file when read again.
  CHECK(std::equal(values.begin(), values.end(), c->f32()));
  auto heap = ConstantData::from_floats(values);
  CHECK(cpu::release_constant_pages({heap.get()}) == 0);
  CHECK(std::equal(values.begin(), values.end(), heap->f32()));

  // A conv whose weights live in the mapping still computes correctly after release.
  Graph g;
  int x = test::add_input(g, "x", {1, 64, 6, 6});
  Tensor w;
  w.name = "w";
  w.shape = {int64_t(count / (64 * 9)), 64, 3, 3};
  auto wc = std::make_shared<ConstantData>(*c);
  wc->bytes = size_t(shape_elements(w.shape)) * sizeof(float);
  w.data = wc;
  int wid = g.add_tensor(w);
  g.outputs = {
      node(g, OpType::kConv, "conv", {x, wid}, {1, w.shape[0], 6, 6}, conv_attrs(3, 1, 1))};
  CHECK(compare(g) <= kTolerance);
}

TEST_CASE("the measured FMA peak is positive and cached") {
  double a = fma_peak_gflops();
  CHECK(a > 0.5);
  CHECK(fma_peak_gflops() == a);
  CHECK(std::string(fma_peak_isa()).size() > 0);
  CHECK(fma_peak_gflops(fma_peak_isa()) == a);
  // Per level: each level this CPU has measures;
  // one it lacks reads 0, and a re-measurement never lowers the cached value.
  const double avx2 = fma_peak_gflops("avx2+fma");
  const double avx512 = fma_peak_gflops("avx512f");
  if (cpu::cpu_isa_detected() >= cpu::CpuIsa::kAvx2) {
    CHECK(avx2 > 0.5);
    CHECK(fma_peak_remeasure("avx2+fma") >= avx2);
  } else {
    CHECK(avx2 == 0);
  }
  if (cpu::cpu_isa_detected() >= cpu::CpuIsa::kAvx512)
    CHECK(avx512 > 0.5);  // (not always above AVX2: Zen 4 splits zmm FMAs in two)
  else
    CHECK(avx512 == 0);
}

TEST_CASE("the winograd= cpu spec option parses and prints") {
  // (Winograd's numerics: test_cpu_winograd.cc.)
  auto ps = parse_processor_spec("cpu:threads=1,winograd=off");
  REQUIRE(ps.ok());
  auto spec = parse_cpu_spec(ps.value());
  REQUIRE(spec.ok());
  CHECK(cpu_spec_text(spec.value()) == "cpu:threads=1,winograd=off");
  auto bad = parse_processor_spec("cpu:winograd=maybe");
  REQUIRE(bad.ok());
  CHECK_FALSE(parse_cpu_spec(bad.value()).ok());
}

TEST_CASE("a pinned multi-thread cpu processor pins its workers and computes correctly") {
  std::vector<int> avail = cpu_available_cores();
  if (!test::skip_unless(avail.size() >= 2, "fewer than two cores available")) {
    return;
  }
  std::string spec = "cpu:cores=" + std::to_string(avail[0]) + "+" + std::to_string(avail[1]);
  auto p = make(spec);
  CHECK(p->threads() == 2);
  // The pool's worker runs on exactly one of the two cores.
  int pinned = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream status(entry.path() / "status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("Cpus_allowed_list:", 0) == 0 &&
          line.find(std::to_string(avail[1])) != std::string::npos &&
          line.find_first_of(",-") == std::string::npos)
        ++pinned;
  }
  CHECK(pinned >= 1);
  std::thread t([&] {
    REQUIRE(p->bind_current_thread().ok());
    Graph g = conv_graph(16, 12, 12, 16, conv_attrs(3, 1, 1), true);
    Tensors in = random_inputs(g, 0, 1);
    auto ref = make("reference");
    Tensors want = run_range(*ref, g, 0, 1, in);
    Tensors got = run_range(*p, g, 0, 1, in);
    CHECK(test::relative_error(got[0], want[0]) <= kTolerance);
  });
  t.join();
}
