// The profiler on fake processors whose kernels spin for known times: node
// times, unsupported nodes, roofline fallback, cache reuse and refresh.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "api/default_registry.h"
#include "graph/shape_inference.h"
#include "scheduler/partitioner.h"
#include "scheduler/profile_cache.h"
#include "scheduler/profiler.h"
#include "tests/helpers.h"

using namespace tandem;
using namespace tandem::test;

namespace {

// Spins (wall clock) for node i: 0.2 * (i + 1) ms times `scale`.
class SpinExecutable : public Executable {
 public:
  SpinExecutable(const Graph& g, int first, int last, double scale)
      : first_(first), last_(last), scale_(scale), io_(range_io(g, first, last)) {}
  Status run(const float* const*, float* const*, const RunOptions& options) override {
    if (options.node_ms) options.node_ms->clear();
    for (int n = first_; n < last_; ++n) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto until = t0 + std::chrono::microseconds(int64_t(200 * (n + 1) * scale_));
      while (std::chrono::steady_clock::now() < until) {
      }
      if (options.node_ms)
        options.node_ms->push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
    }
    return Status();
  }
  const RangeIO& io() const override { return io_; }

 private:
  int first_, last_;
  double scale_;
  RangeIO io_;
};

class SpinProcessor : public Processor {
 public:
  SpinProcessor(std::string spec, double scale) : spec_(std::move(spec)), scale_(scale) {}
  std::string spec() const override { return spec_; }
  bool supports(const Graph&, const Node& n) const override { return n.name != unsupported_; }
  Expected<std::unique_ptr<Executable>> compile(const Graph& g, int first, int last) override {
    ++compiles;
    if (first <= fail_node_ && fail_node_ < last)
      return internal_error("spin: refusing node " + std::to_string(fail_node_));
    return std::unique_ptr<Executable>(new SpinExecutable(g, first, last, scale_));
  }
  std::string unsupported_;
  int fail_node_ = -1;
  std::atomic<int> compiles{0};

 private:
  std::string spec_;
  double scale_;
};

// A chain of four Relu nodes on 1x4x8x8. Spin times are wall time, so on a
// loaded machine they only grow: checks are "at least the target, not absurd".
Graph chain_graph() {
  Graph g;
  int t = add_input(g, "x", {1, 4, 8, 8});
  for (int i = 0; i < 4; ++i) {
    NodeAttrs distinct;  // distinct signatures, so each node keeps its own time
    distinct.alpha = float(i);
    t = add_simple_node(g, OpType::kRelu, "relu" + std::to_string(i), {t}, distinct);
    g.tensor(t).shape = {1, 4, 8, 8};
  }
  g.outputs = {t};
  return g;
}

ProfileOptions quick_options() {
  ProfileOptions o;
  o.warmup_runs = 1;
  o.min_runs = 4;
  o.max_runs = 8;
  return o;
}

}  // namespace

TEST_CASE("robust mean drops outliers") {
  CHECK(robust_mean({1.0, 1.1, 0.9, 1.0, 50.0}) == doctest::Approx(1.0));
  CHECK(robust_mean({2.0}) == 2.0);
  CHECK(std::isnan(robust_mean({})));
}

TEST_CASE("profiler measures node times, marks unsupported nodes and fits transfers") {
  Graph g = chain_graph();
  SpinProcessor a("spin:a", 1.0), b("spin:b", 2.0);
  b.unsupported_ = "relu1";
  ProfileOptions o = quick_options();
  o.validate = true;
  std::vector<std::string> steps;
  o.progress = [&](const std::string& what, double) { steps.push_back(what); };
  auto t = profile_model(g, {&a, &b}, o);
  REQUIRE_MESSAGE(t.ok(), t.status().to_string());
  auto near = [](double got, double want) { return got >= 0.95 * want && got < want + 20.0; };
  for (int n = 0; n < 4; ++n) {
    CHECK(near(t->processors[0].node_ms[size_t(n)], 0.2 * (n + 1)));
    CHECK(t->processors[0].estimated[size_t(n)] == 0);
  }
  CHECK(std::isnan(t->processors[1].node_ms[1]));
  CHECK(near(t->processors[1].node_ms[3], 1.6));
  CHECK(t->processors[0].corun_factor >= 1.0);
  CHECK(near(t->processors[0].measured_total_ms, 2.0));
  CHECK(t->transfer[0][1].latency_ms >= 0);
  CHECK(std::isfinite(t->transfer[1][0].ms_per_byte));
  CHECK_FALSE(steps.empty());
  CHECK(t->validate().ok());
}

TEST_CASE("a range that fails to compile gets marked roofline estimates") {
  Graph g = chain_graph();
  SpinProcessor a("spin:a", 1.0);
  a.unsupported_ = "relu1";  // ranges [0,1) and [2,4)
  a.fail_node_ = 2;          // [2,4) does not compile
  ProfileOptions o = quick_options();
  std::vector<std::string> warnings;
  o.warn = [&](const std::string& m) { warnings.push_back(m); };
  auto t = profile_model(g, {&a}, o);
  REQUIRE(t.ok());
  const auto& pc = t->processors[0];
  CHECK(pc.estimated[0] == 0);
  CHECK(pc.estimated[2] == 1);
  CHECK(pc.estimated[3] == 1);
  // Same bytes as node 0, so the memory roofline gives node 0's time.
  CHECK(pc.node_ms[2] == doctest::Approx(pc.node_ms[0]).epsilon(1e-9));
  CHECK(pc.gbps > 0);
  bool named = false;
  for (const auto& w : warnings) named |= w.find("did not compile") != std::string::npos;
  CHECK(named);
}

TEST_CASE("profile cache is reused, refreshed and survives corruption") {
  const std::string dir = temp_path("profile_cache_test");
  std::filesystem::remove_all(dir);
  Graph g = chain_graph();
  SpinProcessor a("spin:a", 1.0), b("spin:b", 1.0);
  ProfileOptions o = quick_options();
  o.cache_dir = dir;
  auto first = profile_model(g, {&a, &b}, o);
  REQUIRE(first.ok());
  const int compiles = a.compiles.load();
  CHECK(compiles > 0);

  auto second = profile_model(g, {&a, &b}, o);
  REQUIRE(second.ok());
  CHECK(a.compiles.load() == compiles);  // nothing measured again
  CHECK(second->processors[0].node_ms == first->processors[0].node_ms);
  CHECK(second->processors[1].corun_factor == first->processors[1].corun_factor);
  CHECK(second->transfer[0][1].ms_per_byte == first->transfer[0][1].ms_per_byte);

  o.refresh = true;
  REQUIRE(profile_model(g, {&a, &b}, o).ok());
  CHECK(a.compiles.load() > compiles);

  // A corrupt cache file: warning, measured again, file rewritten.
  const std::string path = processor_cache_path(dir, current_machine_fingerprint(), "spin:a");
  { std::ofstream(path) << "{ not json"; }
  o.refresh = false;
  std::vector<std::string> warnings;
  o.warn = [&](const std::string& m) { warnings.push_back(m); };
  const int before = a.compiles.load();
  REQUIRE(profile_model(g, {&a, &b}, o).ok());
  CHECK(a.compiles.load() > before);
  REQUIRE_FALSE(warnings.empty());
  CHECK(warnings[0].find(path) != std::string::npos);
  CHECK(load_processor_cache(path, current_machine_fingerprint(), "spin:a").ok());
  // A cache for another machine is refused.
  CHECK_FALSE(load_processor_cache(path, MachineFingerprint{"other", 64}, "spin:a").ok());
  // One written by other kernels (an older Tandem) is ignored and measured again.
  auto cached = load_processor_cache(path, current_machine_fingerprint(), "spin:a");
  REQUIRE(cached.ok());
  CHECK_FALSE(cached->node_ms.empty());
  std::string text;
  {
    std::ifstream in(path);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t at = text.find("\"kernels\"");
  REQUIRE(at != std::string::npos);
  text.replace(at, 9, "\"kernelz\"");
  { std::ofstream(path) << text; }
  auto stale = load_processor_cache(path, current_machine_fingerprint(), "spin:a");
  REQUIRE(stale.ok());
  CHECK(stale->node_ms.empty());
  const int again = a.compiles.load();
  REQUIRE(profile_model(g, {&a, &b}, o).ok());
  CHECK(a.compiles.load() > again);
}

TEST_CASE("duplicate processors are refused") {
  Graph g = chain_graph();
  SpinProcessor a("spin:a", 1.0), a2("spin:a", 1.0);
  CHECK_FALSE(profile_model(g, {&a, &a2}, quick_options()).ok());
}

TEST_CASE("profile and plan a real graph on the reference processor") {
  Graph g;
  int x = add_input(g, "x", {1, 3, 16, 16});
  NodeAttrs conv;
  conv.kernel_shape = {3, 3};
  conv.strides = {1, 1};
  conv.dilations = {1, 1};
  conv.pads = {1, 1, 1, 1};
  int w1 = add_random_constant(g, "w1", {8, 3, 3, 3}, 1);
  int c1 = add_simple_node(g, OpType::kConv, "conv1", {x, w1}, conv);
  int r1 = add_simple_node(g, OpType::kRelu, "relu1", {c1});
  int w2 = add_random_constant(g, "w2", {8, 8, 3, 3}, 2);
  int c2 = add_simple_node(g, OpType::kConv, "conv2", {r1, w2}, conv);
  int a = add_simple_node(g, OpType::kAdd, "add", {c2, r1});  // skip connection
  g.outputs = {a};
  REQUIRE(infer_shapes(g).ok());
  auto ref = create_processor("reference");
  REQUIRE(ref.ok());
  ProfileOptions o = quick_options();
  o.validate = true;
  auto t = profile_model(g, {ref->get()}, o);
  REQUIRE_MESSAGE(t.ok(), t.status().to_string());
  const auto& pc = t->processors[0];
  double sum = 0;
  for (size_t n = 0; n < 4; ++n) {
    CHECK(pc.node_ms[n] > 0);
    CHECK(pc.estimated[n] == 0);
    sum += pc.node_ms[n];
  }
  // conv2 does 8/3 the MACs of conv1 (8 input channels instead of 3).
  CHECK(pc.node_ms[2] > pc.node_ms[0]);
  CHECK(pc.measured_total_ms > 0);
  CHECK(pc.gflops > 0);
  auto plan = plan_partition(*t);
  REQUIRE(plan.ok());
  CHECK(plan->kind == PlanKind::kSingle);
  CHECK(plan->period_ms == doctest::Approx(sum));
}
