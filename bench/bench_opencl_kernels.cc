// Micro-benchmarks of every OpenCL kernel on the default OpenCL device
// (PoCL here): one node per graph, shapes from real networks scaled to run in
// milliseconds on PoCL. Each run includes the range's upload and download;
// the "transfer_MB" counter says how much. Set TANDEM_CACHE_DIR to reuse builds.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <random>

#include "api/default_registry.h"
#include "graph/shape_inference.h"
#include "kernels/opencl/opencl_processor.h"

using namespace tandem;

namespace {

// TANDEM_BENCH_OPENCL_DEVICE=N runs everything on opencl:N.
Processor* processor(std::string spec) {
  const char* d = std::getenv("TANDEM_BENCH_OPENCL_DEVICE");
  if (d && *d && spec.rfind("opencl", 0) == 0) {
    size_t colon = spec.find(':');
    spec = "opencl:" + std::string(d) +
           (colon == std::string::npos ? "" : "," + spec.substr(colon + 1));
  }
  static std::map<std::string, std::unique_ptr<Processor>> procs;
  auto it = procs.find(spec);
  if (it == procs.end()) {
    auto p = create_processor(spec);
    if (!p.ok()) return nullptr;
    it = procs.emplace(spec, std::move(p).value()).first;
  }
  return it->second.get();
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

std::vector<float> randoms(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

int input(Graph& g, const std::string& name, Shape s) {
  Tensor t;
  t.name = name;
  t.shape = std::move(s);
  int id = g.add_tensor(std::move(t));
  g.inputs.push_back(id);
  return id;
}

int weight(Graph& g, const std::string& name, Shape s) {
  size_t n = size_t(shape_elements(s));
  return g.add_constant(name, std::move(s), randoms(n, 3));
}

int node(Graph& g, OpType op, std::vector<int> in, NodeAttrs a = {}) {
  Tensor t;
  t.name = "y" + std::to_string(g.nodes.size());
  Node n;
  n.name = "n" + std::to_string(g.nodes.size());
  n.op = op;
  n.inputs = std::move(in);
  n.outputs = {g.add_tensor(std::move(t))};
  n.attrs = std::move(a);
  g.add_node(std::move(n));
  return g.nodes.back().outputs[0];
}

NodeAttrs conv(int k, int s, int p, int group = 1) {
  NodeAttrs a;
  a.kernel_shape = {k, k};
  a.strides = {s, s};
  a.pads = {p, p, p, p};
  a.dilations = {1, 1};
  a.group = group;
  a.activation.min = 0;
  return a;
}

void run_graph(benchmark::State& state, Graph g, const std::string& spec = "opencl") {
  g.outputs = g.nodes.back().outputs;
  Processor* proc = processor(spec);
  Status st = infer_shapes(g);
  if (!proc || !st.ok()) {
    state.SkipWithError(proc ? st.to_string().c_str() : "no OpenCL processor");
    return;
  }
  auto exe = proc->compile(g, 0, static_cast<int>(g.nodes.size()));
  if (!exe.ok()) {
    state.SkipWithError(exe.status().to_string().c_str());
    return;
  }
  const RangeIO& io = (*exe)->io();
  std::vector<std::vector<float>> ins, outs;
  std::vector<const float*> in_ptrs;
  std::vector<float*> out_ptrs;
  for (int t : io.inputs) ins.push_back(randoms(size_t(shape_elements(g.tensor(t).shape)), 1));
  for (int t : io.outputs) outs.emplace_back(size_t(shape_elements(g.tensor(t).shape)));
  for (auto& v : ins) in_ptrs.push_back(v.data());
  for (auto& v : outs) out_ptrs.push_back(v.data());
  // One untimed run: PoCL specialises kernels for their launch sizes on first enqueue.
  if (Status w = (*exe)->run(in_ptrs.data(), out_ptrs.data()); !w.ok()) {
    state.SkipWithError(w.to_string().c_str());
    return;
  }
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    Status r = (*exe)->run(in_ptrs.data(), out_ptrs.data());
    if (!r.ok()) {
      state.SkipWithError(r.to_string().c_str());
      return;
    }
  }
  const double cpu_s = process_cpu_seconds() - cpu0;
  const OpenCLRangeStats* s = opencl_range_stats(**exe);
  const double macs = double(graph_macs(g));
  if (macs > 0)
    state.counters["GFLOPS"] =
        benchmark::Counter(2 * macs, benchmark::Counter::kIsIterationInvariantRate);
  // Per second of process CPU time (all threads, PoCL's workers included): on a
  // shared machine wall time also counts other processes' slices on our core.
  if (macs > 0 && cpu_s > 0)
    state.counters["cpu_GFLOPS"] = 2 * macs * double(state.iterations()) / cpu_s / 1e9;
  if (s && s->runs)
    state.counters["transfer_MB"] = double(s->upload_bytes + s->download_bytes) / s->runs / 1e6;
}

void BM_conv2d_3x3(benchmark::State& state) {  // ResNet/VGG 3x3, scaled
  Graph g;
  int x = input(g, "x", {1, 32, 28, 28});
  node(g, OpType::kConv, {x, weight(g, "w", {32, 32, 3, 3}), weight(g, "b", {32})}, conv(3, 1, 1));
  run_graph(state, std::move(g));
}
// Real ResNet-50 / VGG19 convolution shapes: C, M, H (= W), K (pad K / 2).
void BM_conv_layer(benchmark::State& state) {
  const int C = int(state.range(0)), M = int(state.range(1)), H = int(state.range(2));
  const int K = int(state.range(3));
  Graph g;
  int x = input(g, "x", {1, C, H, H});
  node(g, OpType::kConv, {x, weight(g, "w", {M, C, K, K}), weight(g, "b", {M})}, conv(K, 1, K / 2));
  run_graph(state, std::move(g));
}
void BM_conv2d_7x7s2(benchmark::State& state) {  // ResNet stem on a 112x112 image
  Graph g;
  int x = input(g, "x", {1, 3, 112, 112});
  node(g, OpType::kConv, {x, weight(g, "w", {64, 3, 7, 7}), weight(g, "b", {64})}, conv(7, 2, 3));
  run_graph(state, std::move(g));
}
void BM_conv2d_grouped(benchmark::State& state) {  // ResNeXt-style 3x3, 8 groups
  Graph g;
  int x = input(g, "x", {1, 64, 28, 28});
  node(g, OpType::kConv, {x, weight(g, "w", {64, 8, 3, 3})}, conv(3, 1, 1, 8));
  run_graph(state, std::move(g));
}
void BM_conv1x1(benchmark::State& state, const std::string& spec) {  // bottleneck expand
  Graph g;
  int x = input(g, "x", {1, 64, 28, 28});
  node(g, OpType::kConv, {x, weight(g, "w", {256, 64, 1, 1}), weight(g, "b", {256})},
       conv(1, 1, 0));
  run_graph(state, std::move(g), spec);
}
void BM_depthwise3x3(benchmark::State& state) {  // MobileNetV2 block
  Graph g;
  int x = input(g, "x", {1, 96, 56, 56});
  node(g, OpType::kConv, {x, weight(g, "w", {96, 1, 3, 3}), weight(g, "b", {96})},
       conv(3, 1, 1, 96));
  run_graph(state, std::move(g));
}
void BM_fully_connected(benchmark::State& state, const std::string& spec) {  // ResNet-50 head
  Graph g;
  int x = input(g, "x", {1, 2048});
  NodeAttrs a;
  a.trans_b = true;
  node(g, OpType::kGemm, {x, weight(g, "w", {1000, 2048}), weight(g, "b", {1000})}, a);
  run_graph(state, std::move(g), spec);
}
void BM_gemm_128x256x256(benchmark::State& state, const std::string& spec) {
  Graph g;
  int x = input(g, "x", {128, 256});
  node(g, OpType::kMatMul, {x, weight(g, "w", {256, 256})});
  run_graph(state, std::move(g), spec);
}
void BM_maxpool3x3s2(benchmark::State& state) {
  Graph g;
  int x = input(g, "x", {1, 64, 112, 112});
  NodeAttrs a;
  a.kernel_shape = {3, 3};
  a.strides = {2, 2};
  a.pads = {1, 1, 1, 1};
  node(g, OpType::kMaxPool, {x}, a);
  run_graph(state, std::move(g));
}
void BM_avgpool2x2(benchmark::State& state) {  // DenseNet transition
  Graph g;
  int x = input(g, "x", {1, 128, 56, 56});
  NodeAttrs a;
  a.kernel_shape = {2, 2};
  a.strides = {2, 2};
  a.pads = {0, 0, 0, 0};
  node(g, OpType::kAveragePool, {x}, a);
  run_graph(state, std::move(g));
}
void BM_global_avgpool(benchmark::State& state) {
  Graph g;
  int x = input(g, "x", {1, 2048, 7, 7});
  node(g, OpType::kGlobalAveragePool, {x});
  run_graph(state, std::move(g));
}
void BM_add_relu(benchmark::State& state) {  // residual add with fused relu
  Graph g;
  int a = input(g, "a", {1, 256, 56, 56});
  int b = input(g, "b", {1, 256, 56, 56});
  NodeAttrs at;
  at.activation.min = 0;
  node(g, OpType::kAdd, {a, b}, at);
  run_graph(state, std::move(g));
}
void BM_mul_broadcast(benchmark::State& state) {  // squeeze-excitation scale
  Graph g;
  int a = input(g, "a", {1, 96, 56, 56});
  int b = input(g, "b", {1, 96, 1, 1});
  node(g, OpType::kMul, {a, b});
  run_graph(state, std::move(g));
}
void BM_hardswish(benchmark::State& state) {
  Graph g;
  int x = input(g, "x", {1, 96, 56, 56});
  node(g, OpType::kHardSwish, {x});
  run_graph(state, std::move(g));
}
void BM_softmax(benchmark::State& state) {
  Graph g;
  int x = input(g, "x", {1, 1000});
  NodeAttrs a;
  a.axis = 1;
  node(g, OpType::kSoftmax, {x}, a);
  run_graph(state, std::move(g));
}
void BM_channel_shuffle(benchmark::State& state) {  // ShuffleNet: transpose of 5-D view
  Graph g;
  int x = input(g, "x", {1, 2, 58, 28, 28});
  NodeAttrs a;
  a.perm = {0, 2, 1, 3, 4};
  node(g, OpType::kTranspose, {x}, a);
  run_graph(state, std::move(g));
}
void BM_pad_reflect(benchmark::State& state) {
  Graph g;
  int x = input(g, "x", {1, 64, 56, 56});
  NodeAttrs a;
  a.pads = {0, 0, 1, 1, 0, 0, 1, 1};
  a.pad_mode = PadMode::kReflect;
  node(g, OpType::kPad, {x}, a);
  run_graph(state, std::move(g));
}
void BM_concat_in_place(benchmark::State& state) {  // two producers write their slices
  Graph g;
  int x = input(g, "x", {1, 64, 28, 28});
  int a = node(g, OpType::kRelu, {x});
  NodeAttrs s;
  s.clip_min = 0;
  s.clip_max = 6;
  int b = node(g, OpType::kClip, {x}, s);
  NodeAttrs c;
  c.axis = 1;
  node(g, OpType::kConcat, {a, b}, c);
  run_graph(state, std::move(g));
}

// A small ResNet-18-like model at 112x112: stem, pool, two basic blocks, head.
void BM_model_small_resnet(benchmark::State& state, const std::string& spec) {
  Graph g;
  int x = input(g, "image", {1, 3, 112, 112});
  int y = node(g, OpType::kConv, {x, weight(g, "stem.w", {64, 3, 7, 7}), weight(g, "stem.b", {64})},
               conv(7, 2, 3));
  NodeAttrs mp;
  mp.kernel_shape = {3, 3};
  mp.strides = {2, 2};
  mp.pads = {1, 1, 1, 1};
  y = node(g, OpType::kMaxPool, {y}, mp);
  for (int b = 0; b < 2; ++b) {
    std::string p = "block" + std::to_string(b);
    int z =
        node(g, OpType::kConv,
             {y, weight(g, p + ".w1", {64, 64, 3, 3}), weight(g, p + ".b1", {64})}, conv(3, 1, 1));
    NodeAttrs c2 = conv(3, 1, 1);
    c2.activation = {};
    z = node(g, OpType::kConv,
             {z, weight(g, p + ".w2", {64, 64, 3, 3}), weight(g, p + ".b2", {64})}, c2);
    NodeAttrs add;
    add.activation.min = 0;
    y = node(g, OpType::kAdd, {z, y}, add);
  }
  y = node(g, OpType::kGlobalAveragePool, {y});
  NodeAttrs fl;
  fl.axis = 1;
  y = node(g, OpType::kFlatten, {y}, fl);
  NodeAttrs fc;
  fc.trans_b = true;
  y = node(g, OpType::kGemm, {y, weight(g, "fc.w", {1000, 64}), weight(g, "fc.b", {1000})}, fc);
  NodeAttrs sm;
  sm.axis = 1;
  node(g, OpType::kSoftmax, {y}, sm);
  run_graph(state, std::move(g), spec);
}

}  // namespace

BENCHMARK_CAPTURE(BM_model_small_resnet, own, std::string("opencl"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_model_small_resnet, reference, std::string("reference"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_conv2d_3x3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_conv_layer)
    ->Args({64, 64, 56, 3})
    ->Args({128, 128, 28, 3})
    ->Args({256, 256, 14, 3})
    ->Args({512, 512, 7, 3})
    ->Args({256, 64, 56, 1})
    ->Args({512, 128, 28, 1})
    ->Args({1024, 256, 14, 1})
    ->Args({2048, 512, 7, 1})
    ->Args({128, 128, 112, 3})
    ->Args({64, 64, 224, 3})
    ->Args({256, 256, 56, 3})
    ->Args({512, 512, 28, 3})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_conv2d_7x7s2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_conv2d_grouped)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_conv1x1, own, std::string("opencl"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_conv1x1, tiled, std::string("opencl:gemm=tiled"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_conv1x1, clblast, std::string("opencl:gemm=clblast"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_depthwise3x3)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_fully_connected, own, std::string("opencl"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_fully_connected, clblast, std::string("opencl:gemm=clblast"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_gemm_128x256x256, own, std::string("opencl"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_gemm_128x256x256, tiled, std::string("opencl:gemm=tiled"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_gemm_128x256x256, clblast, std::string("opencl:gemm=clblast"))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_maxpool3x3s2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_avgpool2x2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_global_avgpool)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_add_relu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_mul_broadcast)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_hardswish)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_softmax)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_channel_shuffle)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_pad_reflect)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_concat_in_place)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
