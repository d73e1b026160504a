// Micro-benchmarks of the cpu processor's kernels on shapes from real networks
// (bench/shapes/*.csv), each kernel alone on NHWC buffers with packed weights,
// as compile() would create it. Counters: FLOP/s (2 x MACs) and bytes/s
// (activations read + weights + activations written, once per run).
// 3x3 stride-1 convs run twice: conv2d/ (XNNPACK direct) and conv2d_winograd/
// (F(4,3)); dense convs also run as conv2d_gemm/ (the own GEMM of the ISA level); all report
// the direct convolution's FLOPs, so FLOPS compares time. Inverted residual
// blocks run as whole small graphs compiled as one range (so the compiler fuses
// them), as block_fused/ and block_separate/ (blocks=separate); their times
// include the range's NCHW <-> NHWC boundary conversions, the same on both.
//
//   build/bench/bench_cpu_kernels [--benchmark_filter=conv2d/resnet50]
//       [--benchmark_out=cpu_kernels.csv --benchmark_out_format=csv]
// Threads: TANDEM_BENCH_THREADS (default 1). Shapes: TANDEM_SHAPES_DIR.
// ISA: TANDEM_BENCH_ISA=auto|avx512|avx2|generic (default auto) sets every case's
// CpuKernelOptions::isa and, below the detected level, limits XNNPACK to it too
// (xnnpack_isa.h), so an AVX-512 machine measures what an AVX2 one would run.
// See bench/README.md for the CSV columns the cost model reads.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <random>
#include "kernels/cpu/compiler/cpu_executable.h"
#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/x86/xnnpack_isa.h"

using namespace tandem;

namespace {

// The level every case runs at (TANDEM_BENCH_ISA).
cpu::CpuIsa g_isa = cpu::cpu_isa_detected();

struct Case {
  std::string name;
  Graph g;
  double flops = 0;  // per run
  double bytes = 0;  // per run
  cpu::CpuKernelOptions options;
  bool whole_graph = false;  // compiled as a range (fusions apply), not one node's kernel
};

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

int add_input(Graph& g, const std::string& name, Shape shape) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  int id = g.add_tensor(std::move(t));
  g.inputs.push_back(id);
  return id;
}

int add_random_constant(Graph& g, const std::string& name, Shape shape, uint32_t seed) {
  size_t n = size_t(shape_elements(shape));
  return g.add_constant(name, std::move(shape), random_floats(n, seed));
}

std::vector<std::vector<std::string>> read_csv(const std::string& file) {
  const char* env = std::getenv("TANDEM_SHAPES_DIR");
  std::string path = std::string(env ? env : TANDEM_BENCH_SHAPES_DIR) + "/" + file;
  std::ifstream in(path);
  if (!in) std::cerr << "bench_cpu_kernels: cannot read " << path << "\n";
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

int add_node(Graph& g, OpType op, std::vector<int> in, Shape out, NodeAttrs a = {}) {
  Tensor t;
  t.name = "y";
  t.shape = std::move(out);
  int y = g.add_tensor(std::move(t));
  g.add_node(Node{"n", op, std::move(in), {y}, std::move(a)});
  return y;
}

double floats(const Graph& g, int t) {
  return double(shape_elements(g.tensor(t).shape));
}

std::vector<Case> conv_cases() {
  std::vector<Case> cases;
  for (const auto& r : read_csv("conv_shapes.csv")) {
    if (r.size() < 10) continue;
    int64_t c = std::stoll(r[2]), h = std::stoll(r[3]), w = std::stoll(r[4]), m = std::stoll(r[5]);
    int64_t k = std::stoll(r[6]), s = std::stoll(r[7]), p = std::stoll(r[8]),
            grp = std::stoll(r[9]);
    const int64_t d = r.size() > 10 ? std::stoll(r[10]) : 1;  // dilation
    Case cs;
    cs.name = "conv2d/" + r[0] + "/" + r[1];
    int x = add_input(cs.g, "x", {1, c, h, w});
    int wt = add_random_constant(cs.g, "w", {m, c / grp, k, k}, 1);
    int b = add_random_constant(cs.g, "b", {m}, 2);
    NodeAttrs a;
    a.kernel_shape = {k, k};
    a.strides = {s, s};
    a.dilations = {d, d};
    a.pads = {p, p, p, p};
    a.group = grp;
    a.activation.min = 0;
    const int64_t span = d * (k - 1) + 1;
    int64_t oh = (h + 2 * p - span) / s + 1, ow = (w + 2 * p - span) / s + 1;
    int y = add_node(cs.g, OpType::kConv, {x, wt, b}, {1, m, oh, ow}, a);
    cs.flops = 2.0 * floats(cs.g, y) * double(c / grp * k * k);
    cs.bytes = 4 * (floats(cs.g, x) + floats(cs.g, wt) + floats(cs.g, y));
    cs.options.winograd = cpu::CpuKernelOptions::Winograd::kOff;
    cs.options.gemm = cpu::CpuKernelOptions::Gemm::kXnnpack;
    // The same layer on other kernels; FLOPS stays the direct count (an effective rate).
    using W = cpu::CpuKernelOptions::Winograd;
    using G = cpu::CpuKernelOptions::Gemm;
    std::vector<Case> variants;
    auto variant = [&](const char* prefix, W winograd, G gemm) {
      Case v;
      v.name = std::string(prefix) + "/" + r[0] + "/" + r[1];
      v.g = cs.g;
      v.flops = cs.flops;
      v.bytes = cs.bytes;
      v.options.winograd = winograd;
      v.options.gemm = gemm;
      variants.push_back(std::move(v));
    };
    const Node& node = cs.g.nodes[0];
    if (grp > 1 && cpu::dwconv_applicable(cs.g, node, g_isa))  // own depthwise at the level
      variant((std::string("conv2d_dw_") + cpu::cpu_isa_name(g_isa)).c_str(), W::kOff, G::kOwn);
    if (grp == 1 && cpu::gemm_conv_applicable(cs.g, node, g_isa))
      variant("conv2d_gemm", W::kOff, G::kOwn);  // one GEMM (im2col unless 1x1 stride 1)
    if (cpu::winograd_f43_applicable(cs.g, node))
      variant("conv2d_winograd", W::kOn, G::kAuto);  // F(4,3), its GEMMs on the own kernel
    cases.push_back(std::move(cs));
    for (Case& v : variants) cases.push_back(std::move(v));
  }
  return cases;
}

std::vector<Case> fc_cases() {
  std::vector<Case> cases;
  for (const auto& r : read_csv("fc_shapes.csv")) {
    if (r.size() < 4) continue;
    int64_t in = std::stoll(r[2]), out = std::stoll(r[3]);
    Case cs;
    cs.name = "fully_connected/" + r[0] + "/" + r[1];
    int x = add_input(cs.g, "x", {1, in});
    int wt = add_random_constant(cs.g, "w", {out, in}, 1);
    int b = add_random_constant(cs.g, "b", {out}, 2);
    NodeAttrs a;
    a.trans_b = true;
    add_node(cs.g, OpType::kGemm, {x, wt, b}, {1, out}, a);
    cs.flops = 2.0 * double(in * out);
    cs.bytes = 4.0 * double(in + in * out + out);
    cases.push_back(std::move(cs));
  }
  return cases;
}

std::vector<Case> eltwise_cases() {
  std::vector<Case> cases;
  for (const auto& r : read_csv("eltwise_shapes.csv")) {
    if (r.size() < 6) continue;
    const std::string& op = r[2];
    int64_t c = std::stoll(r[3]), h = std::stoll(r[4]), w = std::stoll(r[5]);
    Case cs;
    cs.name = op + "/" + r[0] + "/" + r[1];
    Graph& g = cs.g;
    int x = add_input(g, "x", {1, c, h, w});
    double px = double(c * h * w);
    if (op == "add") {
      int x2 = add_input(g, "x2", {1, c, h, w});
      NodeAttrs a;
      a.activation.min = 0;
      add_node(g, OpType::kAdd, {x, x2}, {1, c, h, w}, a);
      cs.flops = px, cs.bytes = 12 * px;
    } else if (op == "batchnorm") {
      std::vector<int> in = {x};
      for (int k = 0; k < 4; ++k) in.push_back(add_random_constant(g, "p", {c}, 3));
      add_node(g, OpType::kBatchNormalization, in, {1, c, h, w});
      cs.flops = 2 * px, cs.bytes = 8 * px;
    } else if (op == "globalavg") {
      add_node(g, OpType::kGlobalAveragePool, {x}, {1, c, 1, 1});
      cs.flops = px, cs.bytes = 4 * px;
    } else {
      bool mx = op == "maxpool3s2";
      int64_t k = mx ? 3 : 2, p = mx ? 1 : 0;
      NodeAttrs a;
      a.kernel_shape = {k, k};
      a.strides = {2, 2};
      a.pads = {p, p, p, p};
      int64_t oh = (h + 2 * p - k) / 2 + 1, ow = (w + 2 * p - k) / 2 + 1;
      add_node(g, mx ? OpType::kMaxPool : OpType::kAveragePool, {x}, {1, c, oh, ow}, a);
      cs.flops = double(c * oh * ow * k * k), cs.bytes = 4 * (px + double(c * oh * ow));
    }
    cases.push_back(std::move(cs));
  }
  return cases;
}

// MobileNet-style blocks: [1x1 expansion ->] depthwise -> 1x1 projection [-> + x].
std::vector<Case> block_cases() {
  std::vector<Case> cases;
  for (const auto& r : read_csv("block_shapes.csv")) {
    if (r.size() < 10) continue;
    const int64_t cin = std::stoll(r[2]), h = std::stoll(r[3]), w = std::stoll(r[4]);
    const int64_t cexp = std::stoll(r[5]), cout = std::stoll(r[6]), k = std::stoll(r[7]);
    const int64_t s = std::stoll(r[8]);
    const bool residual = r[9] == "1";
    Case cs;
    Graph& g = cs.g;
    int x = add_input(g, "x", {1, cin, h, w});
    NodeAttrs one;
    one.kernel_shape = {1, 1};
    one.strides = {1, 1};
    one.dilations = {1, 1};
    one.pads = {0, 0, 0, 0};
    one.group = 1;
    int t = x;
    const int64_t c = cexp > 0 ? cexp : cin;
    if (cexp > 0) {
      NodeAttrs e = one;
      e.activation = {0.0f, 6.0f};
      t = add_node(g, OpType::kConv,
                   {x, add_random_constant(g, "we", {c, cin, 1, 1}, 1),
                    add_random_constant(g, "be", {c}, 2)},
                   {1, c, h, w}, e);
    }
    NodeAttrs d = one;
    d.kernel_shape = {k, k};
    d.strides = {s, s};
    d.pads = {k / 2, k / 2, k / 2, k / 2};
    d.group = c;
    d.activation = {0.0f, 6.0f};
    const int64_t oh = (h + 2 * (k / 2) - k) / s + 1, ow = (w + 2 * (k / 2) - k) / s + 1;
    t = add_node(
        g, OpType::kConv,
        {t, add_random_constant(g, "wd", {c, 1, k, k}, 3), add_random_constant(g, "bd", {c}, 4)},
        {1, c, oh, ow}, d);
    int y = add_node(g, OpType::kConv,
                     {t, add_random_constant(g, "wp", {cout, c, 1, 1}, 5),
                      add_random_constant(g, "bp", {cout}, 6)},
                     {1, cout, oh, ow}, one);
    if (residual) y = add_node(g, OpType::kAdd, {y, x}, {1, cout, oh, ow});
    const double in_px = double(h * w), out_px = double(oh * ow);
    cs.flops = 2.0 * (in_px * double(cin * cexp) + out_px * double(c * k * k + c * cout));
    cs.bytes = 4.0 * (in_px * double(cin) + out_px * double(cout) +
                      double(cin * cexp + c * k * k + c * cout));
    cs.whole_graph = true;
    for (bool fused : {true, false}) {
      Case v;
      v.name = std::string(fused ? "block_fused/" : "block_separate/") + r[0] + "/" + r[1];
      v.g = cs.g;
      v.flops = cs.flops;
      v.bytes = cs.bytes;
      v.whole_graph = true;
      v.options.fuse_blocks = fused;
      cases.push_back(std::move(v));
    }
  }
  return cases;
}

struct PoolDeleter {
  void operator()(pthreadpool* p) const {
    if (p) pthreadpool_destroy(p);
  }
};

pthreadpool_t bench_pool(int* threads) {
  static std::unique_ptr<pthreadpool, PoolDeleter> pool;
  static int n = 0;
  if (!n) {
    const char* env = std::getenv("TANDEM_BENCH_THREADS");
    n = env ? std::max(1, std::atoi(env)) : 1;
    if (n > 1) pool.reset(pthreadpool_create(size_t(n)));
  }
  *threads = n;
  return pool.get();
}

void set_counters(benchmark::State& state, const Case* cs, int threads) {
  state.counters["FLOPS"] =
      benchmark::Counter(cs->flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes_per_second"] =
      benchmark::Counter(cs->bytes, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = threads;
}

// The case's graph compiled as one cpu range (its fusions apply), boundary
// conversions included, on random inputs.
void run_graph_case(benchmark::State& state, const Case* cs) {
  const Graph& g = cs->g;
  int threads = 0;
  pthreadpool_t pool = bench_pool(&threads);
  auto exe = cpu::compile_cpu_range(g, 0, int(g.nodes.size()), pool, nullptr, cs->options);
  if (!exe.ok()) {
    state.SkipWithError(exe.status().to_string().c_str());
    return;
  }
  const RangeIO& io = exe.value()->io();
  std::vector<std::vector<float>> bufs;
  std::vector<const float*> in;
  std::vector<float*> out;
  for (int t : io.inputs) {
    bufs.push_back(random_floats(size_t(shape_elements(g.tensor(t).shape)), uint32_t(t)));
    in.push_back(bufs.back().data());
  }
  std::vector<std::vector<float>> outs;
  for (int t : io.outputs) {
    outs.emplace_back(size_t(shape_elements(g.tensor(t).shape)));
    out.push_back(outs.back().data());
  }
  for (auto _ : state) {
    Status st = exe.value()->run(in.data(), out.data());
    if (!st.ok()) state.SkipWithError(st.to_string().c_str());
  }
  set_counters(state, cs, threads);
  state.SetLabel(std::to_string(g.nodes.size()) + " nodes");
}

// The kernel of the case's single node on NHWC buffers (inputs random).
void run_case(benchmark::State& state, const Case* cs) {
  const Graph& g = cs->g;
  const Node& n = g.nodes[0];
  int threads = 0;
  pthreadpool_t pool = bench_pool(&threads);
  std::vector<std::vector<float>> storage;
  auto make = [&](int t) {
    cpu::CpuTensor v;
    const Tensor& x = g.tensor(t);
    v.shape = x.shape;
    if (x.is_constant()) {
      v.data = const_cast<float*>(x.data->f32());
      v.constant = true;
      return v;
    }
    storage.push_back(random_floats(size_t(shape_elements(x.shape)) + 16, uint32_t(t)));
    v.data = storage.back().data();
    v.nhwc = x.shape.size() == 4;
    v.pixel_stride = v.nhwc ? x.shape[1] : 0;
    return v;
  };
  storage.reserve(8);
  cpu::KernelArgs args;
  args.g = &g;
  args.node = &n;
  args.pool = pool;
  for (int t : n.inputs) args.inputs.push_back(make(t));
  for (int t : n.outputs) args.outputs.push_back(make(t));
  cpu::CpuOpSupport sup = cpu::cpu_op_support(g, n, cs->options);
  std::vector<float> workspace(sup.workspace_floats);
  args.workspace = workspace.data();
  args.options = cs->options;
  if (!sup.factory) {
    state.SkipWithError("no native cpu kernel for this case");
    return;
  }
  auto kernel = sup.factory(args);
  if (!kernel.ok()) {
    state.SkipWithError(kernel.status().to_string().c_str());
    return;
  }
  for (auto _ : state) {
    Status st = kernel.value()->run(pool);
    if (!st.ok()) state.SkipWithError(st.to_string().c_str());
  }
  set_counters(state, cs, threads);
  state.SetLabel(std::string(op_name(n.op)));
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* env = std::getenv("TANDEM_BENCH_ISA")) {
    Expected<cpu::CpuIsa> isa = cpu::parse_cpu_isa(env);
    if (!isa.ok()) {
      std::cerr << "bench_cpu_kernels: TANDEM_BENCH_ISA: " << isa.status().message() << "\n";
      return 1;
    }
    g_isa = *isa;
    if (g_isa < cpu::cpu_isa_detected() && !cpu::limit_xnnpack_isa(g_isa))
      std::cerr << "bench_cpu_kernels: cannot limit XNNPACK to " << env << "\n";
  }
  benchmark::AddCustomContext("isa", cpu::cpu_isa_name(g_isa));
  if (xnn_initialize(nullptr) != xnn_status_success) {
    std::cerr << "bench_cpu_kernels: xnn_initialize failed\n";
    return 1;
  }
  static std::vector<Case> cases;
  for (auto* make : {conv_cases, fc_cases, eltwise_cases, block_cases})
    for (Case& c : make()) {
      c.options.isa = g_isa;
      cases.push_back(std::move(c));
    }
  for (const Case& c : cases)
    benchmark::RegisterBenchmark(c.name.c_str(), c.whole_graph ? run_graph_case : run_case, &c)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
