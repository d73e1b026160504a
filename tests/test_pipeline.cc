// The pipelined runtime: outputs bit-identical to running the same stages one
// after another, order under random delays, shutdown, errors, back pressure.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "api/default_registry.h"
#include "graph/shape_inference.h"
#include "scheduler/pipeline.h"
#include "scheduler/pipeline_bench.h"
#include "tests/helpers.h"

namespace tandem {
namespace {

using Tensors = Pipeline::Tensors;

// Test-only processor: elementwise Relu/Add/Sub/Mul/Identity (second operand
// same size or a scalar), optional random per-run sleep, a gate that holds
// nodes named "gate*", and nodes named "fail*" that fail when their first
// input starts with kPoison.
constexpr float kPoison = 1000.0f;

struct TestProcessorOptions {
  std::string name = "test";
  int max_sleep_us = 0;
  const std::atomic<bool>* gate_closed = nullptr;
  bool fail_bind = false;
  bool fail_compile = false;
  int fixed_sleep_us = 0;
};

class TestExecutable : public Executable {
 public:
  TestExecutable(const Graph& g, int first, int last, const TestProcessorOptions& o, uint32_t seed)
      : g_(g),
        first_(first),
        last_(last),
        o_(o),
        io_(range_io(g, first, last)),
        rng_(seed),
        ptr_(g.tensors.size(), nullptr) {
    for (int i = first; i < last; ++i)
      for (int t : g.nodes[static_cast<size_t>(i)].outputs)
        scratch_.emplace_back(
            t, std::vector<float>(static_cast<size_t>(shape_elements(g.tensor(t).shape))));
  }
  Status run(const float* const* inputs, float* const* outputs, const RunOptions&) override {
    runs.fetch_add(1, std::memory_order_relaxed);
    if (o_.fixed_sleep_us > 0)
      std::this_thread::sleep_for(std::chrono::microseconds(o_.fixed_sleep_us));
    if (o_.max_sleep_us > 0)
      std::this_thread::sleep_for(
          std::chrono::microseconds(rng_() % static_cast<uint32_t>(o_.max_sleep_us)));
    for (auto& [t, buf] : scratch_) ptr_[static_cast<size_t>(t)] = buf.data();
    for (size_t k = 0; k < io_.inputs.size(); ++k)
      ptr_[static_cast<size_t>(io_.inputs[k])] = const_cast<float*>(inputs[k]);
    for (size_t k = 0; k < io_.outputs.size(); ++k)
      ptr_[static_cast<size_t>(io_.outputs[k])] = outputs[k];
    for (int i = first_; i < last_; ++i) {
      const Node& n = g_.nodes[static_cast<size_t>(i)];
      auto in = [&](size_t k) -> const float* {
        const Tensor& t = g_.tensor(n.inputs[k]);
        return t.is_constant() ? t.data->f32() : ptr_[static_cast<size_t>(n.inputs[k])];
      };
      const size_t count = static_cast<size_t>(shape_elements(g_.tensor(n.outputs[0]).shape));
      float* y = ptr_[static_cast<size_t>(n.outputs[0])];
      const float* a = in(0);
      if (n.name.rfind("fail", 0) == 0 && a[0] == kPoison)
        return internal_error("node '" + n.name + "': injected failure");
      if (n.name.rfind("gate", 0) == 0 && o_.gate_closed)
        while (o_.gate_closed->load()) std::this_thread::sleep_for(std::chrono::microseconds(200));
      const float* b = n.inputs.size() > 1 ? in(1) : nullptr;
      const size_t bn = b ? static_cast<size_t>(shape_elements(g_.tensor(n.inputs[1]).shape)) : 0;
      for (size_t j = 0; j < count; ++j) {
        float x = a[j], z = b ? b[bn == 1 ? 0 : j] : 0.0f;
        switch (n.op) {
          case OpType::kRelu:
            y[j] = x > 0 ? x : 0;
            break;
          case OpType::kAdd:
            y[j] = x + z;
            break;
          case OpType::kSub:
            y[j] = x - z;
            break;
          case OpType::kMul:
            y[j] = x * z;
            break;
          case OpType::kIdentity:
            y[j] = x;
            break;
          default:
            return unsupported("node '" + n.name + "': op not in the test processor");
        }
      }
    }
    return Status();
  }
  const RangeIO& io() const override { return io_; }
  std::atomic<int64_t> runs{0};

 private:
  const Graph& g_;
  int first_, last_;
  TestProcessorOptions o_;
  RangeIO io_;
  std::minstd_rand rng_;
  std::vector<std::pair<int, std::vector<float>>> scratch_;
  std::vector<float*> ptr_;
};

class TestProcessor : public Processor {
 public:
  explicit TestProcessor(TestProcessorOptions o = {}) : o_(std::move(o)) {}
  std::string spec() const override { return o_.name; }
  bool supports(const Graph&, const Node&) const override { return true; }
  Expected<std::unique_ptr<Executable>> compile(const Graph& g, int first, int last) override {
    if (o_.fail_compile) return unsupported("test processor: compile refused");
    auto e = std::make_unique<TestExecutable>(g, first, last, o_, ++seed_);
    compiled.push_back(e.get());
    return std::unique_ptr<Executable>(std::move(e));
  }
  Status bind_current_thread() override {
    binds.fetch_add(1);
    return o_.fail_bind ? internal_error("test processor: cannot pin") : Status();
  }
  std::vector<TestExecutable*> compiled;
  std::atomic<int> binds{0};

 private:
  TestProcessorOptions o_;
  uint32_t seed_ = 0;
};

// Two inputs, six nodes, skips that cross two cuts: a (n0) is read by n3,
// b (n1) by n5 and is an output, graph input x by n4, input s by n2.
Graph skip_graph() {
  Graph g;
  const Shape sh = {2, 4, 4};
  int x = test::add_input(g, "x", sh);
  int s = test::add_input(g, "s", sh);
  int k = test::add_random_constant(g, "k", sh, 7);
  int a = test::add_simple_node(g, OpType::kRelu, "relu_a", {x});
  int b = test::add_simple_node(g, OpType::kAdd, "add_b", {a, k});
  int c = test::add_simple_node(g, OpType::kMul, "mul_c", {b, s});
  int d = test::add_simple_node(g, OpType::kSub, "sub_d", {c, a});
  int e = test::add_simple_node(g, OpType::kAdd, "add_e", {d, x});
  int f = test::add_simple_node(g, OpType::kMul, "mul_f", {e, b});
  for (int t = 0; t < static_cast<int>(g.tensors.size()); ++t)
    if (g.tensor(t).shape.empty()) g.tensor(t).shape = sh;
  (void)f;
  g.outputs = {f, b};
  return g;
}

// A chain of `n` nodes each adding 1 (x + n at the end); node names from `names`.
Graph chain_graph(int n, int64_t elems, std::vector<std::string> names = {}) {
  Graph g;
  int t = test::add_input(g, "x", {elems});
  int one = g.add_constant("one", {1}, {1.0f});
  for (int i = 0; i < n; ++i) {
    std::string name = i < static_cast<int>(names.size()) ? names[static_cast<size_t>(i)]
                                                          : "add" + std::to_string(i);
    t = test::add_simple_node(g, OpType::kAdd, name, {t, one});
    g.tensor(t).shape = {elems};
  }
  g.outputs = {t};
  return g;
}

std::vector<StageSpec> make_plan(const std::vector<int>& cuts, int n_nodes,
                                 std::vector<Processor*> procs) {
  std::vector<StageSpec> plan;
  int first = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    int last = i < cuts.size() ? cuts[i] : n_nodes;
    StageSpec s;
    s.processors = {procs[i % procs.size()]};
    s.first_node = first;
    s.last_node = last;
    plan.push_back(s);
    first = last;
  }
  return plan;
}

// The oracle: each frame through freshly compiled stages, one after another.
Tensors run_sequential(const Graph& g, const std::vector<StageSpec>& plan, const Tensors& inputs) {
  std::vector<std::vector<float>> env(g.tensors.size());
  for (size_t i = 0; i < g.inputs.size(); ++i) env[static_cast<size_t>(g.inputs[i])] = inputs[i];
  for (const StageSpec& s : plan) {
    auto exe = s.processors[0]->compile(g, s.first_node, s.last_node);
    REQUIRE(exe.ok());
    const RangeIO& io = (*exe)->io();
    std::vector<const float*> in;
    std::vector<float*> out;
    for (int t : io.inputs) in.push_back(env[static_cast<size_t>(t)].data());
    for (int t : io.outputs) {
      env[static_cast<size_t>(t)].assign(static_cast<size_t>(shape_elements(g.tensor(t).shape)),
                                         0.0f);
      out.push_back(env[static_cast<size_t>(t)].data());
    }
    REQUIRE((*exe)->run(in.data(), out.data()).ok());
  }
  Tensors outs;
  for (int t : g.outputs) outs.push_back(env[static_cast<size_t>(t)]);
  return outs;
}

Tensors random_inputs(const Graph& g, uint32_t seed) {
  Tensors in;
  for (int t : g.inputs)
    in.push_back(test::random_floats(static_cast<size_t>(shape_elements(g.tensor(t).shape)),
                                     seed++ * 7919u));
  return in;
}

// Every way to cut `n` nodes into `k` non-empty contiguous stages.
void all_cuts(int n, int k, int from, std::vector<int>& cur, std::vector<std::vector<int>>& out) {
  if (static_cast<int>(cur.size()) == k - 1) {
    out.push_back(cur);
    return;
  }
  for (int c = from; c < n; ++c) {
    cur.push_back(c);
    all_cuts(n, k, c + 1, cur, out);
    cur.pop_back();
  }
}

}  // namespace

TEST_CASE("pipeline: boundaries carry skip connections through intermediate stages") {
  Graph g = skip_graph();
  TestProcessor p;
  auto pipe = Pipeline::create(g, make_plan({2, 3}, 6, {&p}));
  REQUIRE(pipe.ok());
  auto names = [&](int b) {
    std::vector<std::string> v;
    for (int t : (*pipe)->boundary_tensors(b)) v.push_back(g.tensor(t).name);
    std::sort(v.begin(), v.end());
    return v;
  };
  // Cut after add_b: a, b, x, s all needed later. Cut after mul_c: s no longer.
  CHECK(names(0) == std::vector<std::string>{"add_b_out", "relu_a_out", "s", "x"});
  CHECK(names(1) == std::vector<std::string>{"add_b_out", "mul_c_out", "relu_a_out", "x"});
  CHECK((*pipe)->boundary_tensors(2).empty());
  CHECK((*pipe)->boundary_tensors(-1).empty());
  // The graph's one definition of the tensors crossing a cut.
  CHECK((*pipe)->boundary_tensors(0) == tensors_crossing(g, 2));
  CHECK((*pipe)->boundary_tensors(1) == tensors_crossing(g, 3));
}

TEST_CASE(
    "pipeline: outputs bit-identical to the stages run one after another, every 1-3 stage plan") {
  Graph g = skip_graph();
  TestProcessor p0({"p0"}), p1({"p1"}), p2({"p2"});
  const int n = static_cast<int>(g.nodes.size());
  int plans = 0;
  for (int k = 1; k <= 3; ++k) {
    std::vector<std::vector<int>> cuts;
    std::vector<int> cur;
    all_cuts(n, k, 1, cur, cuts);
    for (const auto& c : cuts) {
      auto plan = make_plan(c, n, {&p0, &p1, &p2});
      auto pipe = Pipeline::create(g, plan);
      REQUIRE_MESSAGE(pipe.ok(), pipe.status().to_string());
      const int frames = 12;  // more than the pipeline holds: submit must block and resume
      std::vector<Pipeline::Ticket> tickets;
      for (int f = 0; f < frames; ++f) {
        auto t = (*pipe)->submit(random_inputs(g, static_cast<uint32_t>(f + 1)));
        REQUIRE(t.ok());
        CHECK(*t == static_cast<Pipeline::Ticket>(f));
        tickets.push_back(*t);
      }
      for (int f = 0; f < frames; ++f) {
        auto out = (*pipe)->wait(tickets[static_cast<size_t>(f)]);
        REQUIRE_MESSAGE(out.ok(), out.status().to_string());
        Tensors want = run_sequential(g, plan, random_inputs(g, static_cast<uint32_t>(f + 1)));
        CHECK(*out == want);  // bit-identical
      }
      ++plans;
    }
  }
  CHECK(plans == 1 + 5 + 10);
}

TEST_CASE("pipeline: synchronous run, poll, and a ticket is collected once") {
  Graph g = skip_graph();
  TestProcessor p;
  auto pipe = Pipeline::create(g, make_plan({3}, 6, {&p}));
  REQUIRE(pipe.ok());
  Tensors in = random_inputs(g, 5);
  auto out = (*pipe)->run(in);
  REQUIRE(out.ok());
  CHECK(*out == run_sequential(g, make_plan({3}, 6, {&p}), in));
  auto t = (*pipe)->submit(in);
  REQUIRE(t.ok());
  (*pipe)->drain();
  auto ready = (*pipe)->poll(*t);
  REQUIRE(ready.ok());
  CHECK(*ready);
  CHECK((*pipe)->wait(*t).ok());
  CHECK((*pipe)->wait(*t).status().code() == StatusCode::kNotFound);
  CHECK(!(*pipe)->poll(*t).ok());
}

TEST_CASE("pipeline: duplicate outputs and an input that is also an output") {
  Graph g = chain_graph(3, 5);
  g.outputs = {g.outputs[0], g.inputs[0], g.outputs[0]};
  TestProcessor p;
  for (auto cuts : {std::vector<int>{}, std::vector<int>{1}, std::vector<int>{1, 2}}) {
    auto pipe = Pipeline::create(g, make_plan(cuts, 3, {&p}));
    REQUIRE_MESSAGE(pipe.ok(), pipe.status().to_string());
    Tensors in = {{1, 2, 3, 4, 5}};
    auto out = (*pipe)->run(in);
    REQUIRE(out.ok());
    CHECK((*out)[0] == std::vector<float>{4, 5, 6, 7, 8});
    CHECK((*out)[1] == in[0]);
    CHECK((*out)[2] == (*out)[0]);
  }
}

TEST_CASE("pipeline: bad plans and bad inputs give errors that name the problem") {
  Graph g = skip_graph();
  TestProcessor p;
  CHECK(!Pipeline::create(g, {}).ok());
  auto gap = make_plan({2, 3}, 6, {&p});
  gap[1].first_node = 1;
  auto r = Pipeline::create(g, gap);
  REQUIRE(!r.ok());
  CHECK(r.status().message().find("stage 1") != std::string::npos);
  auto short_plan = make_plan({2}, 5, {&p});
  CHECK(!Pipeline::create(g, short_plan).ok());
  TestProcessor bad({"badcompile", 0, nullptr, false, true});
  r = Pipeline::create(g, make_plan({2}, 6, {&p, &bad}));
  REQUIRE(!r.ok());
  CHECK(r.status().message().find("stage 1") != std::string::npos);
  CHECK(r.status().message().find("compile refused") != std::string::npos);
  TestProcessor nopin({"nopin", 0, nullptr, true, false});
  r = Pipeline::create(g, make_plan({2}, 6, {&p, &nopin}));
  REQUIRE(!r.ok());
  CHECK(r.status().message().find("cannot pin") != std::string::npos);

  auto pipe = Pipeline::create(g, make_plan({2}, 6, {&p}));
  REQUIRE(pipe.ok());
  Tensors in = random_inputs(g, 1);
  in[1].pop_back();
  auto t = (*pipe)->submit(in);
  REQUIRE(!t.ok());
  CHECK(t.status().code() == StatusCode::kInvalidArgument);
  CHECK(t.status().message().find("'s'") != std::string::npos);
  CHECK(t.status().message().find("2x4x4") != std::string::npos);
  CHECK(!(*pipe)->submit(Tensors{}).ok());
}

TEST_CASE("pipeline: workers are pinned through their processor") {
  Graph g = skip_graph();
  TestProcessor p0, p1;
  auto plan = make_plan({2}, 6, {&p0, &p1});
  plan[1].processors = {&p1, &p1};  // two replicas on one processor
  auto pipe = Pipeline::create(g, plan);
  REQUIRE(pipe.ok());
  CHECK(p0.binds.load() == 1);
  CHECK(p1.binds.load() == 2);
}

TEST_CASE("pipeline: an error fails that frame only, naming stage and node") {
  Graph g = chain_graph(4, 3, {"add0", "add1", "fail_here", "add3"});
  TestProcessor p;
  auto pipe = Pipeline::create(g, make_plan({1, 2}, 4, {&p}));
  REQUIRE(pipe.ok());
  std::vector<Pipeline::Ticket> tickets;
  const int frames = 20, bad = 7;
  for (int f = 0; f < frames; ++f) {
    // fail_here sees x + 2, so frame `bad` starts at kPoison - 2.
    float x0 = f == bad ? kPoison - 2 : static_cast<float>(f);
    auto t = (*pipe)->submit({{x0, 0, 0}});
    REQUIRE(t.ok());
    tickets.push_back(*t);
  }
  for (int f = 0; f < frames; ++f) {
    auto out = (*pipe)->wait(tickets[static_cast<size_t>(f)]);
    if (f == bad) {
      REQUIRE(!out.ok());
      CHECK(out.status().message().find("stage 2") != std::string::npos);
      CHECK(out.status().message().find("fail_here") != std::string::npos);
    } else {
      REQUIRE(out.ok());
      CHECK((*out)[0][0] == static_cast<float>(f) + 4);
    }
  }
  auto s = (*pipe)->stats();
  CHECK(s.frames_completed == frames);
  CHECK(s.frames_failed == 1);
}

TEST_CASE("pipeline: back pressure holds at most max_in_flight frames") {
  Graph g = chain_graph(3, 4, {"add0", "add1", "gate"});
  std::atomic<bool> closed{true};
  TestProcessor p0, p1({"gated", 0, &closed});
  PipelineOptions opt;
  opt.max_in_flight = 3;
  auto pipe = Pipeline::create(g, make_plan({2}, 3, {&p0, &p1}), opt);
  REQUIRE(pipe.ok());
  CHECK((*pipe)->max_in_flight() == 3);
  // Busy may also mean "stage 0 has not taken the last frame yet": retry after a pause.
  auto fill = [&](std::vector<float> x) {
    int accepted = 0;
    for (int busy = 0; busy < 3 && accepted < 100;) {
      auto t = (*pipe)->try_submit({x});
      if (t.ok()) {
        ++accepted;
        busy = 0;
        continue;
      }
      CHECK(t.status().code() == StatusCode::kResourceExhausted);
      ++busy;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return accepted;
  };
  int accepted = fill({1, 2, 3, 4});
  CHECK(accepted == 3);
  CHECK((*pipe)->in_flight() == 3);
  Tensors kept = {{1, 2, 3, 4}};
  CHECK(!(*pipe)->try_submit(std::move(kept)).ok());
  CHECK(kept == Tensors{{1, 2, 3, 4}});  // refused: the caller keeps its inputs
  std::atomic<bool> returned{false};
  std::thread submitter([&] {
    auto t = (*pipe)->submit({{1, 2, 3, 4}});
    CHECK(t.ok());
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(!returned.load());  // blocked: the pipeline is full
  closed = false;
  submitter.join();
  CHECK(returned.load());
  (*pipe)->drain();
  for (Pipeline::Ticket t = 0; t < 4; ++t) {
    auto out = (*pipe)->wait(t);
    REQUIRE(out.ok());
    CHECK((*out)[0] == std::vector<float>{4, 5, 6, 7});
  }
}

TEST_CASE("pipeline: the default bound is the pipeline's own capacity") {
  Graph g = chain_graph(2, 4, {"add0", "gate"});
  std::atomic<bool> closed{true};
  TestProcessor p0, p1({"gated", 0, &closed});
  auto pipe = Pipeline::create(g, make_plan({1}, 2, {&p0, &p1}));
  REQUIRE(pipe.ok());
  int accepted = 0;
  for (int busy = 0; busy < 3 && accepted < 100;) {
    if ((*pipe)->try_submit({{0, 0, 0, 0}}).ok()) {
      ++accepted;
      busy = 0;
    } else {
      ++busy;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  CHECK(accepted >= 4);
  CHECK(accepted <= (*pipe)->max_in_flight());
  closed = false;
  (*pipe)->drain();
  CHECK((*pipe)->stats().frames_completed == accepted);
}

TEST_CASE("pipeline: stress, thousands of frames with random delays, none lost or reordered") {
  const int frames = 3000;
  Graph g = chain_graph(6, 2);
  TestProcessor p0({"s0", 40}), p1({"s1", 40}), p2({"s2", 40});
  for (int replicas : {1, 3}) {
    auto plan = make_plan({2, 4}, 6, {&p0, &p1, &p2});
    plan[1].processors.assign(size_t(replicas), &p1);
    auto pipe = Pipeline::create(g, plan);
    REQUIRE(pipe.ok());
    std::atomic<int> bad{0};
    std::thread waiter([&] {
      for (int f = 0; f < frames; ++f) {
        auto out = (*pipe)->wait(static_cast<Pipeline::Ticket>(f));
        // submit may not have reached ticket f yet: retry until it exists
        while (!out.ok() && out.status().code() == StatusCode::kNotFound) {
          std::this_thread::yield();
          out = (*pipe)->wait(static_cast<Pipeline::Ticket>(f));
        }
        if (!out.ok() || (*out)[0][0] != static_cast<float>(f) + 6 ||
            (*out)[0][1] != -static_cast<float>(f) + 6)
          bad.fetch_add(1);
      }
    });
    for (int f = 0; f < frames; ++f) {
      auto t = (*pipe)->submit({{static_cast<float>(f), -static_cast<float>(f)}});
      REQUIRE(t.ok());
      REQUIRE(*t == static_cast<Pipeline::Ticket>(f));
      CHECK((*pipe)->in_flight() <= (*pipe)->max_in_flight());
    }
    waiter.join();
    CHECK(bad.load() == 0);
    auto s = (*pipe)->stats();
    CHECK(s.frames_completed == frames);
    for (const auto& st : s.stages) CHECK(st.frames == frames);
  }
}

TEST_CASE("pipeline: replicas and parallel streams keep order and share the work") {
  Graph g = skip_graph();
  TestProcessor a({"a", 30}), b({"b", 30});
  auto plan = parallel_streams_plan(g, {&a, &b});
  REQUIRE(plan.size() == 1);
  auto pipe = Pipeline::create(g, plan);
  REQUIRE(pipe.ok());
  const int frames = 40;
  for (int f = 0; f < frames; ++f)
    REQUIRE((*pipe)->submit(random_inputs(g, static_cast<uint32_t>(f))).ok());
  for (int f = 0; f < frames; ++f) {
    auto out = (*pipe)->wait(static_cast<Pipeline::Ticket>(f));
    REQUIRE(out.ok());
    CHECK(*out ==
          run_sequential(g, make_plan({}, 6, {&a}), random_inputs(g, static_cast<uint32_t>(f))));
  }
  REQUIRE(a.compiled.size() >= 1);
  REQUIRE(b.compiled.size() >= 1);
  CHECK(a.compiled[0]->runs.load() == frames / 2);
  CHECK(b.compiled[0]->runs.load() == frames / 2);
}

TEST_CASE("pipeline: a stage's processors run its replicas side by side (the Plan's step)") {
  Graph g = skip_graph();
  TestProcessor a({"a"}), b({"b"}), c({"c"});
  // Stage 0 on a, stage 1 on b and c side by side.
  std::vector<StageSpec> specs = make_plan({3}, 6, {&a, &b});
  std::vector<StageSpec> flat = specs;  // the old layout: one entry per processor
  flat.push_back(flat[1]);
  flat[2].processors = {&c};
  auto refused = Pipeline::create(g, flat);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("stage 2") != std::string::npos);
  specs[1].processors.push_back(&c);
  auto pipe = Pipeline::create(g, specs);
  REQUIRE_MESSAGE(pipe.ok(), pipe.status().to_string());
  CHECK((*pipe)->num_stages() == 2);
  const int frames = 10;
  for (int f = 0; f < frames; ++f)
    REQUIRE((*pipe)->submit(random_inputs(g, static_cast<uint32_t>(f))).ok());
  for (int f = 0; f < frames; ++f) {
    auto out = (*pipe)->wait(static_cast<Pipeline::Ticket>(f));
    REQUIRE(out.ok());
    CHECK(*out ==
          run_sequential(g, make_plan({3}, 6, {&a}), random_inputs(g, static_cast<uint32_t>(f))));
  }
  REQUIRE(b.compiled.size() == 1);
  REQUIRE(c.compiled.size() == 1);
  CHECK(b.compiled[0]->runs.load() == frames / 2);
  CHECK(c.compiled[0]->runs.load() == frames / 2);
  CHECK((*pipe)->stats().stages[1].replicas == 2);
}

TEST_CASE("pipeline: shutdown with frames in flight completes or cancels each, never hangs") {
  Graph g = chain_graph(3, 2);
  TestProcessor p0({"s0", 300}), p1({"s1", 300}), p2({"s2", 300});
  for (int round = 0; round < 3; ++round) {
    auto pipe = Pipeline::create(g, make_plan({1, 2}, 3, {&p0, &p1, &p2}));
    REQUIRE(pipe.ok());
    std::atomic<int> submitted{0};
    std::thread submitter([&] {
      for (int f = 0; f < 200; ++f) {
        auto t = (*pipe)->submit({{static_cast<float>(f), 0}});
        if (!t.ok()) {
          CHECK(t.status().code() == StatusCode::kCancelled);
          return;
        }
        submitted = f + 1;
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + 5 * round));
    (*pipe)->shutdown();
    submitter.join();
    CHECK((*pipe)->in_flight() == 0);
    int done = 0, cancelled = 0;
    for (int f = 0; f < submitted.load(); ++f) {
      auto out = (*pipe)->wait(static_cast<Pipeline::Ticket>(f));
      if (out.ok()) {
        CHECK((*out)[0][0] == static_cast<float>(f) + 3);
        CHECK(cancelled == 0);  // frames finish in order: no completion after a cancelled one
        ++done;
      } else {
        CHECK(out.status().code() == StatusCode::kCancelled);
        ++cancelled;
      }
    }
    CHECK(done + cancelled == submitted.load());
    CHECK(!(*pipe)->submit({{0, 0}}).ok());
  }
  // Destroyed with frames in flight and nobody waiting: no hang, no leak (ASan).
  auto pipe = Pipeline::create(g, make_plan({1, 2}, 3, {&p0, &p1, &p2}));
  REQUIRE(pipe.ok());
  for (int f = 0; f < 5; ++f) REQUIRE((*pipe)->submit({{0, 0}}).ok());
}

TEST_CASE("pipeline: stats and the Chrome trace cover every stage and frame") {
  Graph g = chain_graph(4, 64);
  TestProcessor p0({"s0", 200}), p1({"s1", 200});
  auto pipe = Pipeline::create(g, make_plan({2}, 4, {&p0, &p1}));
  REQUIRE(pipe.ok());
  const int frames = 30;
  for (int f = 0; f < frames; ++f) REQUIRE((*pipe)->submit({std::vector<float>(64, 1.0f)}).ok());
  (*pipe)->drain();
  auto s = (*pipe)->stats();
  CHECK(s.frames_completed == frames);
  CHECK(s.fps > 0);
  CHECK(s.latency_ms_median > 0);
  REQUIRE(s.stages.size() == 2);
  CHECK(s.stages[0].processor == "s0");
  CHECK(s.stages[1].first_node == 2);
  for (const auto& st : s.stages) {
    CHECK(st.frames == frames);
    CHECK(st.compute_ms > 0);
  }
  std::string path = test::temp_path("pipeline_trace.json");
  REQUIRE((*pipe)->write_trace(path).ok());
  std::ifstream in(path);
  nlohmann::json j = nlohmann::json::parse(in);
  std::map<int, std::set<uint64_t>> compute_frames;
  for (const auto& e : j["traceEvents"])
    if (e["ph"] == "X" && e["name"] == "compute")
      compute_frames[e["tid"].get<int>()].insert(e["args"]["frame"].get<uint64_t>());
  REQUIRE(compute_frames.size() == 2);
  for (const auto& [tid, fs] : compute_frames) CHECK(fs.size() == frames);
  (*pipe)->reset_stats();
  CHECK((*pipe)->stats().stages[0].frames == 0);
  // An idle pipeline is not "waiting for input": waits count from the submit.
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  REQUIRE((*pipe)->run({std::vector<float>(64, 1.0f)}).ok());
  CHECK((*pipe)->stats().stages[0].wait_input_ms < 100);
  CHECK(!(*pipe)->write_trace("/nonexistent-dir/x.json").ok());
}

TEST_CASE("pipeline bench: two sleeping stages overlap, FPS near the slower stage's rate") {
  // Sleep, not compute: the figures hold on a busy 2-core machine.
  Graph g = chain_graph(2, 16);
  TestProcessorOptions o;
  o.fixed_sleep_us = 4000;
  TestProcessor p0(o), p1(o);
  auto pipe = Pipeline::create(g, make_plan({1}, 2, {&p0, &p1}));
  REQUIRE(pipe.ok());
  PipelineBenchOptions bo;
  bo.trace_path = test::temp_path("pipeline_bench_trace.json");
  auto r = bench_pipeline(**pipe, {std::vector<float>(16, 0.0f)}, 40, bo);
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  const std::string report = format_pipeline_bench(*r);
  REQUIRE(r->stages.size() == 2);
  // Against the stages' own measured times (sleep overshoots under load):
  // one after another would give 1000 / (t0 + t1) FPS, overlapped 1000 / max.
  double t0 = r->stages[0].compute_ms + r->stages[0].transfer_ms;
  double t1 = r->stages[1].compute_ms + r->stages[1].transfer_ms;
  CHECK_MESSAGE(r->fps > 1.3 * 1000.0 / (t0 + t1), report);
  CHECK_MESSAGE(r->fps < 1.05 * 1000.0 / std::max(t0, t1), report);
  CHECK(r->latency_ms_median >= 8.0);
  for (const auto& st : r->stages) {
    CHECK(st.frames == 40);
    CHECK(st.compute_ms >= 4.0);
  }
  CHECK(!bench_pipeline(**pipe, {std::vector<float>(16, 0.0f)}, 0).ok());
  CHECK(!bench_pipeline(**pipe, {std::vector<float>(3, 0.0f)}, 5).ok());
}

namespace {

// A small residual + dense CNN: a1 (n1) is added at n5, b1 (n3) concatenated at
// n6, so both cross the cuts in between.
Graph cnn_graph() {
  Graph g;
  NodeAttrs c3;
  c3.pads = {1, 1, 1, 1};
  int x = test::add_input(g, "x", {1, 3, 8, 8});
  int w1 = test::add_random_constant(g, "w1", {8, 3, 3, 3}, 11);
  int b1w = test::add_random_constant(g, "b1", {8}, 12);
  int w2 = test::add_random_constant(g, "w2", {8, 8, 3, 3}, 13);
  int w3 = test::add_random_constant(g, "w3", {8, 8, 1, 1}, 14);
  int wf = test::add_random_constant(g, "wf", {10, 16}, 15);
  int bf = test::add_random_constant(g, "bf", {10}, 16);
  int a = test::add_simple_node(g, OpType::kConv, "conv1", {x, w1, b1w}, c3);
  int a1 = test::add_simple_node(g, OpType::kRelu, "relu1", {a});
  int b = test::add_simple_node(g, OpType::kConv, "conv2", {a1, w2}, c3);
  int b1 = test::add_simple_node(g, OpType::kRelu, "relu2", {b});
  int c = test::add_simple_node(g, OpType::kConv, "conv3", {b1, w3});
  int d = test::add_simple_node(g, OpType::kAdd, "add", {c, a1});
  NodeAttrs cat;
  cat.axis = 1;
  int e = test::add_simple_node(g, OpType::kConcat, "concat", {d, b1}, cat);
  int p = test::add_simple_node(g, OpType::kGlobalAveragePool, "gap", {e});
  NodeAttrs fl;
  fl.axis = 1;
  int f = test::add_simple_node(g, OpType::kFlatten, "flatten", {p}, fl);
  NodeAttrs gm;
  gm.trans_b = true;
  int y = test::add_simple_node(g, OpType::kGemm, "fc", {f, wf, bf}, gm);
  g.outputs = {y};
  return g;
}

}  // namespace

TEST_CASE("pipeline on the reference processor: a residual+dense CNN, every 1-3 stage plan") {
  Graph g = cnn_graph();
  REQUIRE(infer_shapes(g).ok());
  auto ref = create_processor("reference");
  REQUIRE(ref.ok());
  Processor* p = ref->get();
  const int n = static_cast<int>(g.nodes.size());
  // The whole graph in one executable: the figure every plan must reproduce.
  auto whole = p->compile(g, 0, n);
  REQUIRE(whole.ok());
  std::vector<Tensors> in, whole_out;
  const int frames = 6;
  for (int f = 0; f < frames; ++f) {
    in.push_back(random_inputs(g, static_cast<uint32_t>(100 + f)));
    std::vector<float> y(10);
    const float* xp = in.back()[0].data();
    float* yp = y.data();
    REQUIRE((*whole)->run(&xp, &yp).ok());
    whole_out.push_back({y});
  }
  int plans = 0;
  for (int k = 1; k <= 3; ++k) {
    std::vector<std::vector<int>> cuts;
    std::vector<int> cur;
    all_cuts(n, k, 1, cur, cuts);
    for (const auto& c : cuts) {
      auto plan = make_plan(c, n, {p});
      auto pipe = Pipeline::create(g, plan);
      REQUIRE_MESSAGE(pipe.ok(), pipe.status().to_string());
      for (int f = 0; f < frames; ++f) REQUIRE((*pipe)->submit(in[static_cast<size_t>(f)]).ok());
      for (int f = 0; f < frames; ++f) {
        auto out = (*pipe)->wait(static_cast<Pipeline::Ticket>(f));
        REQUIRE_MESSAGE(out.ok(), out.status().to_string());
        CHECK(*out == run_sequential(g, plan, in[static_cast<size_t>(f)]));
        CHECK(test::relative_error((*out)[0], whole_out[static_cast<size_t>(f)][0]) < 1e-6);
      }
      ++plans;
    }
  }
  CHECK(plans == 1 + 9 + 36);
}

}  // namespace tandem
