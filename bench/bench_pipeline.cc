// Pipeline runtime benchmarks: the hand-off overhead per frame (no-op stages)
// and a synthetic ResNet-like conv chain on one core, pipelined over two cores,
// and as two parallel streams. Each iteration streams one frame with the
// pipeline kept full; items/s is FPS.
#include <benchmark/benchmark.h>

#include <deque>
#include <random>

#include "api/default_registry.h"
#include "graph/shape_inference.h"
#include "scheduler/pipeline.h"

namespace tandem {
namespace {

int add_value_node(Graph& g, OpType op, const std::string& name, std::vector<int> inputs,
                   NodeAttrs attrs = {}) {
  Tensor t;
  t.name = name + "_out";
  int out = g.add_tensor(std::move(t));
  Node n;
  n.name = name;
  n.op = op;
  n.inputs = std::move(inputs);
  n.outputs = {out};
  n.attrs = std::move(attrs);
  g.add_node(std::move(n));
  return out;
}

int add_input(Graph& g, Shape shape) {
  Tensor t;
  t.name = "x";
  t.shape = std::move(shape);
  int id = g.add_tensor(std::move(t));
  g.inputs.push_back(id);
  return id;
}

// Streams frames while the benchmark loop runs; one iteration = one frame.
void stream_frames(benchmark::State& state, Pipeline& p, const Pipeline::Tensors& inputs) {
  std::deque<Pipeline::Ticket> pending;
  for (auto _ : state) {
    auto t = p.submit(inputs);
    if (!t.ok()) {
      state.SkipWithError(t.status().to_string().c_str());
      break;
    }
    pending.push_back(*t);
    if (static_cast<int>(pending.size()) >= p.max_in_flight()) {
      auto out = p.wait(pending.front());
      pending.pop_front();
      if (!out.ok()) {
        state.SkipWithError(out.status().to_string().c_str());
        break;
      }
    }
  }
  for (Pipeline::Ticket t : pending) (void)p.wait(t);
  state.SetItemsProcessed(state.iterations());
}

// Three single-element Relu nodes cut into 1..3 stages: the runtime's own cost.
void BM_PipelineHandoff(benchmark::State& state) {
  const int stages = static_cast<int>(state.range(0));
  Graph g;
  int t = add_input(g, {1});
  for (int i = 0; i < 3; ++i) {
    t = add_value_node(g, OpType::kRelu, "relu" + std::to_string(i), {t});
    g.tensor(t).shape = {1};
  }
  g.outputs = {t};
  auto ref = create_processor("reference");
  if (!ref.ok()) return state.SkipWithError(ref.status().to_string().c_str());
  std::vector<StageSpec> plan;
  for (int i = 0; i < stages; ++i)
    plan.push_back({ref->get(), i * 3 / stages, (i + 1) * 3 / stages});
  auto p = Pipeline::create(g, plan);
  if (!p.ok()) return state.SkipWithError(p.status().to_string().c_str());
  stream_frames(state, **p, {{1.0f}});
}
BENCHMARK(BM_PipelineHandoff)->Arg(1)->Arg(2)->Arg(3)->UseRealTime();

// 8 residual pairs of 3x3 64->64 convs at 28x28 (ResNet stage 2 shapes, ~0.46 GMAC).
Graph conv_chain() {
  Graph g;
  NodeAttrs c3;
  c3.pads = {1, 1, 1, 1};
  c3.activation.min = 0;
  int t = add_input(g, {1, 64, 28, 28});
  int skip = t;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-0.05f, 0.05f);
  for (int i = 0; i < 16; ++i) {
    std::vector<float> w(64 * 64 * 9);
    for (float& v : w) v = dist(rng);
    int wid = g.add_constant("w" + std::to_string(i), {64, 64, 3, 3}, std::move(w));
    t = add_value_node(g, OpType::kConv, "conv" + std::to_string(i), {t, wid}, c3);
    if (i % 2 == 1) {
      t = add_value_node(g, OpType::kAdd, "add" + std::to_string(i), {t, skip});
      skip = t;
    }
  }
  g.outputs = {t};
  return g;
}

// 0: cpu:cores=0 alone; 1: cpu:threads=2 alone; 2: pipeline cores 0 | 1; 3: parallel streams.
void BM_PipelineConvChain(benchmark::State& state) {
  static const char* const kNames[] = {"cores=0 alone", "threads=2 alone", "pipeline 0|1",
                                       "streams 0,1"};
  const int mode = static_cast<int>(state.range(0));
  state.SetLabel(kNames[mode]);
  Graph g = conv_chain();
  if (Status s = infer_shapes(g); !s.ok()) return state.SkipWithError(s.to_string().c_str());
  auto c0 = create_processor("cpu:cores=0");
  auto c1 = create_processor("cpu:cores=1");
  auto c2 = create_processor("cpu:threads=2");
  if (!c0.ok() || !c1.ok() || !c2.ok())
    return state.SkipWithError("no cpu processor in this build");
  const int n = static_cast<int>(g.nodes.size());
  std::vector<StageSpec> plan;
  switch (mode) {
    case 0:
      plan = {{c0->get(), 0, n}};
      break;
    case 1:
      plan = {{c2->get(), 0, n}};
      break;
    case 2:
      plan = {{c0->get(), 0, n / 2}, {c1->get(), n / 2, n}};
      break;
    default:
      plan = {{c0->get(), 0, n}, {c1->get(), 0, n}};
      break;
  }
  auto p = Pipeline::create(g, plan);
  if (!p.ok()) return state.SkipWithError(p.status().to_string().c_str());
  Pipeline::Tensors in = {std::vector<float>(64 * 28 * 28, 0.5f)};
  for (int i = 0; i < 3; ++i) (void)(*p)->run(in);  // warm-up: first runs touch cold weights
  stream_frames(state, **p, in);
}
BENCHMARK(BM_PipelineConvChain)->DenseRange(0, 3)->UseRealTime()->MinTime(1.0);

}  // namespace
}  // namespace tandem

BENCHMARK_MAIN();
