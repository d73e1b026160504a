// The partitioner against brute force and hand-worked cases; the simulator
// against hand-computed pipelines.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "scheduler/partitioner.h"
#include "scheduler/simulator.h"

using namespace tandem;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A table of `n` nodes on `p` processors, every node supported, no transfers.
CostTable blank_table(int n, int p) {
  CostTable t;
  t.machine = {"test cpu", 2};
  for (int i = 0; i < n; ++i) {
    NodeSignature s;
    s.name = "n" + std::to_string(i);
    s.op = "Conv";
    t.nodes.push_back(s);
  }
  t.model_hash = signatures_hash(t.nodes);
  for (int q = 0; q < p; ++q) {
    ProcessorCosts pc;
    pc.spec = "proc" + std::to_string(q);
    pc.node_ms.assign(size_t(n), 1.0);
    pc.estimated.assign(size_t(n), 0);
    t.processors.push_back(pc);
  }
  t.transfer.assign(size_t(p), std::vector<TransferModel>(size_t(p)));
  return t;
}

// A chain: input -> n0 -> n1 -> ... -> output, `bytes` per tensor.
void add_chain(CostTable& t, int64_t bytes) {
  const int n = t.num_nodes();
  t.tensors.push_back({-1, 0, bytes});
  for (int i = 0; i < n; ++i) t.tensors.push_back({i, i + 1, bytes});
}

CostTable random_table(std::mt19937& rng, int n, int p) {
  CostTable t = blank_table(n, p);
  std::uniform_real_distribution<double> ms(0.1, 5.0), u(0, 1);
  for (auto& pc : t.processors) {
    for (auto& v : pc.node_ms) v = u(rng) < 0.1 ? NAN : ms(rng);
    pc.corun_factor = 1.0 + 0.3 * u(rng);
  }
  for (int a = 0; a < p; ++a)
    for (int b = 0; b < p; ++b)
      if (a != b) t.transfer[size_t(a)][size_t(b)] = {u(rng), u(rng) * 1e-6};
  // Chain plus random skip tensors.
  std::uniform_int_distribution<int64_t> bytes(1000, 2000000);
  t.tensors.push_back({-1, 0, bytes(rng)});
  for (int i = 0; i < n; ++i) {
    std::uniform_int_distribution<int> later(i + 1, n);
    t.tensors.push_back({i, later(rng), bytes(rng)});
    if (u(rng) < 0.3) t.tensors.push_back({i, later(rng), bytes(rng)});
  }
  return t;
}

// Independent evaluation, straight from the definitions (no prefix sums, no
// shared code): per step, slowest replica's compute + transfer over |Q|.
struct Naive {
  double period = kInf, latency = kInf;
};
using Step = std::pair<std::pair<int, int>, std::vector<int>>;  // [first,last), processors

Naive naive_eval(const CostTable& t, const std::vector<Step>& steps) {
  size_t workers = 0;
  for (const auto& s : steps) workers += s.second.size();
  Naive r{0, 0};
  const std::vector<int>* prev = nullptr;
  for (const auto& s : steps) {
    const int a = s.first.first, b = s.first.second;
    int64_t cross = 0;
    for (const auto& f : t.tensors)
      if (f.producer < a && f.last_use >= a) cross += f.bytes;
    double worst = 0;
    for (int q : s.second) {
      double c = 0;
      for (int i = a; i < b; ++i) {
        double v = t.processors[size_t(q)].node_ms[size_t(i)];
        if (std::isnan(v)) return Naive{};
        c += v * (workers > 1 ? t.processors[size_t(q)].corun_factor : 1.0);
      }
      double x = 0;
      if (prev)
        for (int p : *prev) {
          const auto& m = t.transfer[size_t(p)][size_t(q)];
          x = std::max(x, m.latency_ms + m.ms_per_byte * double(cross));
        }
      worst = std::max(worst, c + x);
    }
    r.period = std::max(r.period, worst / double(s.second.size()));
    r.latency += worst;
    prev = &s.second;
  }
  return r;
}

// Every plan: compositions of [0, N) into steps, each on a non-empty set of
// unused processors (singletons only without replicas).
void enumerate(const CostTable& t, bool replicas,
               const std::function<void(const std::vector<Step>&)>& f) {
  const int N = t.num_nodes(), P = t.num_processors();
  std::vector<Step> cur;
  std::function<void(int, unsigned)> rec = [&](int a, unsigned used) {
    if (a == N) {
      f(cur);
      return;
    }
    for (int b = a + 1; b <= N; ++b)
      for (unsigned Q = 1; Q < (1u << P); ++Q) {
        if (Q & used) continue;
        if (!replicas && __builtin_popcount(Q) != 1) continue;
        std::vector<int> qs;
        for (int q = 0; q < P; ++q)
          if (Q >> q & 1u) qs.push_back(q);
        cur.push_back({{a, b}, qs});
        rec(b, used | Q);
        cur.pop_back();
      }
  };
  rec(0, 0);
}

std::vector<Step> steps_of(const Plan& plan) {
  std::vector<Step> steps;
  for (const PlanStep& s : plan.steps) {
    Step st{{s.first_node, s.last_node}, {}};
    for (const StepProcessor& sp : s.processors) st.second.push_back(sp.processor);
    steps.push_back(st);
  }
  return steps;
}

// A step with its processors' predicted compute times set (for the simulator):
// {processor, compute_ms} per processor.
PlanStep timed_step(int first, int last, const std::vector<std::pair<int, double>>& procs) {
  PlanStep s;
  s.first_node = first;
  s.last_node = last;
  for (const auto& [p, ms] : procs) s.processors.push_back({p, ms, 0});
  return s;
}

bool close(double a, double b, double rel = 1e-9) {
  return std::fabs(a - b) <= rel * std::max(1.0, std::max(std::fabs(a), std::fabs(b)));
}

}  // namespace

TEST_CASE("crossing bytes count skip connections and graph outputs") {
  CostTable t = blank_table(4, 1);
  t.tensors = {{-1, 0, 1}, {0, 1, 10}, {0, 3, 100}, {1, 2, 1000}, {2, 4, 10000}, {3, 4, 5}};
  std::vector<int64_t> c = crossing_bytes(t);
  REQUIRE(c.size() == 5);
  CHECK(c[0] == 1);
  CHECK(c[1] == 10 + 100);
  CHECK(c[2] == 100 + 1000);
  CHECK(c[3] == 100 + 10000);
  CHECK(c[4] == 10000 + 5);
}

TEST_CASE("DP equals brute force on random profiles") {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 60; ++trial) {
    const int n = 2 + trial % 5, p = 1 + trial % 3;
    CostTable t = random_table(rng, n, p);
    for (bool replicas : {false, true}) {
      Naive best_tp, best_lat;
      enumerate(t, replicas, [&](const std::vector<Step>& s) {
        Naive v = naive_eval(t, s);
        best_tp.period = std::min(best_tp.period, v.period);
        best_lat.latency = std::min(best_lat.latency, v.latency);
      });
      PlanOptions o;
      o.min_gain = 0;
      o.allow_replicas = replicas;
      auto plan = plan_partition(t, o);
      if (best_tp.period == kInf) {
        CHECK_FALSE(plan.ok());
        continue;
      }
      REQUIRE_MESSAGE(plan.ok(), plan.status().to_string());
      const Naive got = naive_eval(t, steps_of(*plan));
      CHECK_MESSAGE(close(got.period, best_tp.period), "trial " << trial);
      CHECK(plan_lower_bound(t, replicas) <= best_tp.period * (1 + 1e-9));
      CHECK(close(plan->period_ms, got.period));
      CHECK(close(plan->latency_ms, got.latency));

      o.objective = PlanObjective::kLatency;
      auto lat = plan_partition(t, o);
      REQUIRE(lat.ok());
      CHECK_MESSAGE(close(naive_eval(t, steps_of(*lat)).latency, best_lat.latency),
                    "trial " << trial);

      // Throughput under a latency bound halfway between the best latency and
      // the latency of the best-throughput plan.
      const double bound = 0.5 * (best_lat.latency + got.latency);
      double best_bounded = kInf;
      enumerate(t, replicas, [&](const std::vector<Step>& s) {
        Naive v = naive_eval(t, s);
        if (v.latency <= bound) best_bounded = std::min(best_bounded, v.period);
      });
      o.objective = PlanObjective::kThroughput;
      o.max_latency_ms = bound;
      auto bounded = plan_partition(t, o);
      REQUIRE_MESSAGE(bounded.ok(), bounded.status().to_string()
                                        << " bound " << bound << " best lat " << best_lat.latency);
      const Naive b = naive_eval(t, steps_of(*bounded));
      CHECK(b.latency <= bound * (1 + 1e-9));
      CHECK_MESSAGE(close(b.period, best_bounded, 1e-5), "trial " << trial);
    }
  }
}

TEST_CASE("GPU 5x faster on convolutions: CPU takes the cheap head, GPU the convs") {
  // Nodes 0-1: cheap non-conv (CPU 0.2 ms, GPU 1 ms); nodes 2-9: convs (CPU 5 ms, GPU 1 ms).
  CostTable t = blank_table(10, 2);
  for (int i = 0; i < 10; ++i) {
    t.processors[0].node_ms[size_t(i)] = i < 2 ? 0.2 : 5.0;
    t.processors[1].node_ms[size_t(i)] = 1.0;
  }
  add_chain(t, 1000);
  t.transfer[0][1] = {1.0, 0};
  t.transfer[1][0] = {1.0, 0};
  // By hand: CPU [0,3) = 5.4 ms, GPU [3,10) = 7 + 1 ms -> period 8 ms; GPU
  // alone is 10 ms; parallel streams max(40.4, 10) / 2 = 20.2 ms.
  auto plan = plan_partition(t);
  REQUIRE(plan.ok());
  REQUIRE(plan->num_steps() == 2);
  REQUIRE(plan->num_processors() == 2);
  CHECK(plan->steps[0].processors[0].processor == 0);
  CHECK(plan->steps[0].last_node == 3);
  CHECK(plan->steps[1].processors[0].processor == 1);
  CHECK(plan->period_ms == doctest::Approx(8.0));
  CHECK(plan->predicted_fps == doctest::Approx(125.0));
  CHECK(plan->latency_ms == doctest::Approx(5.4 + 8.0));
  CHECK(plan->kind == PlanKind::kPipeline);
  CHECK(plan->lower_bound_ms <= plan->period_ms);

  SUBCASE("costly transfer: one processor is best") {
    t.transfer[0][1] = {20.0, 0};
    t.transfer[1][0] = {20.0, 0};
    auto single = plan_partition(t);
    REQUIRE(single.ok());
    REQUIRE(single->num_processors() == 1);
    CHECK(single->steps[0].processors[0].processor == 1);
    CHECK(single->period_ms == doctest::Approx(10.0));
    CHECK(single->kind == PlanKind::kSingle);
  }
  SUBCASE("latency objective: the two cheap nodes on the CPU save 0.6 ms") {
    // CPU [0,2) 0.4 ms + transfer 1 ms + GPU convs 8 ms = 9.4 ms < GPU alone 10 ms.
    PlanOptions o;
    o.objective = PlanObjective::kLatency;
    auto lat = plan_partition(t, o);
    REQUIRE(lat.ok());
    REQUIRE(lat->num_steps() == 2);
    REQUIRE(lat->num_processors() == 2);
    CHECK(lat->steps[0].last_node == 2);
    CHECK(lat->latency_ms == doctest::Approx(9.4));
  }
  SUBCASE("a node the GPU cannot run stays on the CPU") {
    t.processors[1].node_ms[9] = NAN;
    auto p2 = plan_partition(t);
    REQUIRE(p2.ok());
    CHECK(p2->steps.back().processors.back().processor == 0);
    CHECK(p2->steps.back().last_node == 10);
  }
}

TEST_CASE("skip connection: the cut avoids the big tensor that crosses") {
  // Six 1 ms nodes on two equal processors; node 0's 1 MB output is read by
  // node 3; the chain tensors are 1 kB. 1 MB costs 10 ms to hand over.
  CostTable t = blank_table(6, 2);
  add_chain(t, 1000);
  t.tensors.push_back({0, 3, 1000000});
  t.transfer[0][1] = {0.0, 1e-5};
  t.transfer[1][0] = {0.0, 1e-5};
  PlanOptions o;
  o.allow_replicas = false;  // parallel streams (3 ms) would win otherwise
  auto plan = plan_partition(t, o);
  REQUIRE(plan.ok());
  REQUIRE(plan->num_steps() == 2);
  // Cuts 1..3 carry the skip tensor (+10 ms); cut 4 gives max(4, 2 + 0.01).
  CHECK(plan->steps[0].last_node == 4);
  CHECK(plan->period_ms == doctest::Approx(4.0));
  CHECK(plan->steps[1].processors[0].transfer_ms == doctest::Approx(0.01));
}

TEST_CASE("equal processors and a cheap hand-over: parallel streams or pipeline, never worse") {
  CostTable t = blank_table(8, 2);
  add_chain(t, 1000);
  t.transfer[0][1] = {0.5, 0};
  t.transfer[1][0] = {0.5, 0};
  auto plan = plan_partition(t);
  REQUIRE(plan.ok());
  // Parallel streams: 8 ms / 2 = 4 ms per frame, no transfer; a pipeline
  // pays 0.5 ms at the cut (4.5 ms).
  CHECK(plan->kind == PlanKind::kParallel);
  CHECK(plan->period_ms == doctest::Approx(4.0));
  CHECK(plan->reason.find("parallel") != std::string::npos);

  PlanOptions no_rep;
  no_rep.allow_replicas = false;
  auto pipe = plan_partition(t, no_rep);
  REQUIRE(pipe.ok());
  CHECK(pipe->kind == PlanKind::kPipeline);
  CHECK(pipe->period_ms == doctest::Approx(4.5));
}

TEST_CASE("parallel streams win a near tie with a pipeline; a clear pipeline gain wins") {
  // proc0 is a little faster on the first half, proc1 on the second: the pipeline
  // (proc0 | proc1) has period 4 * 0.99 = 3.96 ms, parallel streams 8 / 2 = 4 ms.
  CostTable t = blank_table(8, 2);
  add_chain(t, 0);
  for (int i = 0; i < 8; ++i) {
    t.processors[0].node_ms[size_t(i)] = i < 4 ? 0.99 : 1.01;
    t.processors[1].node_ms[size_t(i)] = i < 4 ? 1.01 : 0.99;
  }
  auto plan = plan_partition(t);  // min_gain 2%: within it, the uncoupled streams
  REQUIRE(plan.ok());
  CHECK(plan->kind == PlanKind::kParallel);
  CHECK(plan->period_ms == doctest::Approx(4.0));
  PlanOptions exact;
  exact.min_gain = 0;
  plan = plan_partition(t, exact);
  REQUIRE(plan.ok());
  CHECK(plan->kind == PlanKind::kPipeline);
  CHECK(plan->period_ms == doctest::Approx(3.96));
  // A 10% pipeline gain is taken at the default min_gain.
  for (int i = 0; i < 8; ++i) {
    t.processors[0].node_ms[size_t(i)] = i < 4 ? 0.9 : 1.1;
    t.processors[1].node_ms[size_t(i)] = i < 4 ? 1.1 : 0.9;
  }
  plan = plan_partition(t);
  REQUIRE(plan.ok());
  CHECK(plan->kind == PlanKind::kPipeline);
  CHECK(plan->period_ms == doctest::Approx(3.6));
}

TEST_CASE("co-run slowdown can make one processor the better plan") {
  CostTable t = blank_table(4, 2);
  add_chain(t, 1000);
  t.processors[0].corun_factor = 2.5;
  t.processors[1].corun_factor = 2.5;
  // Any 2-worker plan runs at >= 4 * 2.5 / 2 = 5 ms; one processor alone: 4 ms.
  auto plan = plan_partition(t);
  REQUIRE(plan.ok());
  CHECK(plan->kind == PlanKind::kSingle);
  CHECK(plan->period_ms == doctest::Approx(4.0));
}

TEST_CASE("min_gain keeps fewer processors when more barely help") {
  CostTable t = blank_table(10, 2);
  add_chain(t, 0);
  t.processors[1].node_ms.assign(10, 100.0);  // a slow second processor
  t.processors[1].node_ms[9] = 0.1;
  // Best two-stage plan: 9 ms + 0.1 ms vs 10 ms single -> 10% better.
  PlanOptions o;
  o.allow_replicas = false;
  o.min_gain = 0.2;
  auto plan = plan_partition(t, o);
  REQUIRE(plan.ok());
  CHECK(plan->kind == PlanKind::kSingle);
  o.min_gain = 0.05;
  plan = plan_partition(t, o);
  REQUIRE(plan.ok());
  CHECK(plan->kind == PlanKind::kPipeline);
  CHECK(plan->period_ms == doctest::Approx(9.0));
}

TEST_CASE("latency bound that no plan meets is an error naming the best latency") {
  CostTable t = blank_table(4, 2);
  add_chain(t, 10);
  PlanOptions o;
  o.max_latency_ms = 1.0;
  auto plan = plan_partition(t, o);
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.status().message().find("4.000") != std::string::npos);
}

TEST_CASE("check_plan rejects malformed plans") {
  CostTable t = blank_table(4, 2);
  add_chain(t, 10);
  Plan p;
  p.steps = {plan_step(0, 2, {0}), plan_step(2, 4, {1})};
  CHECK(check_plan(t, p).ok());
  p.steps = {plan_step(0, 2, {0}), plan_step(2, 4, {0})};
  CHECK_FALSE(check_plan(t, p).ok());  // processor twice
  p.steps = {plan_step(0, 4, {1, 1})};
  CHECK_FALSE(check_plan(t, p).ok());  // processor twice within a step
  p.steps = {plan_step(0, 2, {0}), plan_step(3, 4, {1})};
  CHECK_FALSE(check_plan(t, p).ok());  // gap
  p.steps = {plan_step(0, 2, {0}), plan_step(2, 4, {})};
  CHECK(check_plan(t, p).message().find("step 1: no processors") != std::string::npos);
  p.steps = {plan_step(0, 4, {2})};
  CHECK_FALSE(check_plan(t, p).ok());  // processor index out of range
  p.steps.clear();
  CHECK_FALSE(check_plan(t, p).ok());  // no steps
  t.processors[1].node_ms[3] = NAN;
  p.steps = {plan_step(0, 2, {0}), plan_step(2, 4, {1})};
  auto st = check_plan(t, p);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("n3") != std::string::npos);
}

TEST_CASE("stored plan round trip and processor change") {
  CostTable t = blank_table(6, 2);
  add_chain(t, 10);
  t.transfer[0][1] = {0.1, 0};
  PlanOptions o;
  o.allow_replicas = false;
  auto plan = plan_partition(t, o);
  REQUIRE(plan.ok());
  StoredPlan s = to_stored_plan(t, *plan);
  auto back = plan_from_stored(t, s);
  REQUIRE(back.ok());
  CHECK(steps_of(*back) == steps_of(*plan));
  s.processors[1] = "opencl:0";
  CHECK_FALSE(plan_from_stored(t, s).ok());
}

TEST_CASE("stored plan: a replicated step is one entry per processor, read back as one step") {
  CostTable t = blank_table(6, 3);
  add_chain(t, 10);
  Plan mixed;
  mixed.steps = {plan_step(0, 2, {2}), plan_step(2, 6, {0, 1})};
  REQUIRE(evaluate_plan(t, mixed).ok());
  CHECK(mixed.kind == PlanKind::kMixed);
  StoredPlan s = to_stored_plan(t, mixed);
  REQUIRE(s.stages.size() == 3);
  CHECK(s.stages[0].replicas == 1);
  CHECK(s.stages[1].processor == t.processors[0].spec);
  CHECK(s.stages[2].processor == t.processors[1].spec);
  CHECK(s.stages[1].first_node == 2);
  CHECK(s.stages[2].replicas == 2);
  auto back = plan_from_stored(t, s);
  REQUIRE_MESSAGE(back.ok(), back.status().to_string());
  CHECK(steps_of(*back) == steps_of(mixed));
  CHECK(back->period_ms == doctest::Approx(mixed.period_ms));
  // The text lists steps; a replicated one as a header and a line per processor.
  const std::string text = plan_to_text(t, mixed);
  CHECK(text.find("mixed, 3 processor(s) in 2 step(s)") != std::string::npos);
  CHECK(text.find("step 0: " + t.processors[2].spec) != std::string::npos);
  CHECK(text.find("step 1: nodes [2, 6) n2 .. n5 on 2 processors, round robin\n    " +
                  t.processors[0].spec) != std::string::npos);
  StoredPlan bad = s;
  bad.stages[2].last_node = 5;  // a replica over another range
  CHECK(plan_from_stored(t, bad).status().message().find("entry 2") != std::string::npos);
  bad = s;
  bad.stages.pop_back();  // replicas 2 with one entry left
  CHECK(plan_from_stored(t, bad).status().message().find("does not fit") != std::string::npos);
}

TEST_CASE("simulator matches hand-computed pipelines") {
  CostTable t = blank_table(3, 3);
  SUBCASE("two steps 3 ms and 5 ms: 200 fps, steady latency 10 ms") {
    Plan p;
    p.steps = {timed_step(0, 1, {{0, 3}}), timed_step(1, 3, {{1, 5}})};
    auto r = simulate_plan(p);
    REQUIRE(r.ok());
    CHECK(r->fps == doctest::Approx(200.0));
    // Stage 0 waits for a free slot (the frame two back leaves stage 1 at 5f-2),
    // finishes at 5f+1; stage 1 runs 5f+3..5f+8.
    CHECK(r->latency_ms == doctest::Approx(10.0));
    CHECK(r->busy[1] == doctest::Approx(1.0).epsilon(0.02));
  }
  SUBCASE("three steps 2, 6, 3 ms") {
    Plan p;
    p.steps = {timed_step(0, 1, {{0, 2}}), timed_step(1, 2, {{1, 6}}), timed_step(2, 3, {{2, 3}})};
    auto r = simulate_plan(p);
    REQUIRE(r.ok());
    CHECK(r->fps == doctest::Approx(1000.0 / 6.0));
  }
  SUBCASE("single slot serialises neighbours") {
    // With one slot, stage 0 cannot start frame f+1 until stage 1 has finished
    // frame f: period = 3 + 5 = 8 ms.
    Plan p;
    p.steps = {timed_step(0, 1, {{0, 3}}), timed_step(1, 3, {{1, 5}})};
    SimulationOptions o;
    o.slots = 1;
    auto r = simulate_plan(p, o);
    REQUIRE(r.ok());
    CHECK(r->fps == doctest::Approx(125.0));
  }
  SUBCASE("replicas 10 ms and 30 ms round robin: 30 / 2 = 15 ms per frame") {
    Plan p;
    p.steps = {timed_step(0, 3, {{0, 10}, {1, 30}})};
    auto r = simulate_plan(p);
    REQUIRE(r.ok());
    CHECK(r->fps == doctest::Approx(1000.0 / 15.0));
  }
  SUBCASE("simulator agrees with the planner's period on random plans") {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 20; ++trial) {
      CostTable rt = random_table(rng, 12, 3);
      for (auto& pc : rt.processors)
        for (auto& v : pc.node_ms)
          if (std::isnan(v)) v = 1.0;
      auto plan = plan_partition(rt);
      REQUIRE(plan.ok());
      auto r = simulate_plan(*plan);
      REQUIRE(r.ok());
      CHECK(r->fps == doctest::Approx(plan->predicted_fps).epsilon(1e-3));
    }
  }
}

TEST_CASE("600 nodes x 4 processors plan in under a second") {
  std::mt19937 rng(99);
  CostTable t = random_table(rng, 600, 4);
  for (auto& pc : t.processors)
    for (auto& v : pc.node_ms)
      if (std::isnan(v)) v = 2.0;
  const auto t0 = std::chrono::steady_clock::now();
  auto plan = plan_partition(t);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(plan.ok());
  MESSAGE("600 nodes x 4 processors: " << s << " s, " << plan_kind_name(plan->kind) << ", "
                                       << plan->num_steps() << " steps");
#if !TANDEM_SANITIZED  // sanitizers slow the search 5-50x; the bound is for real builds
  CHECK(s < 1.0);
#endif
  CHECK(plan->period_ms >= plan->lower_bound_ms * (1 - 1e-9));

  // Throughput under a latency bound: a bisection of capped DPs, slower but bounded.
  PlanOptions o;
  o.max_latency_ms = plan->latency_ms * 0.9;
  const auto t1 = std::chrono::steady_clock::now();
  auto bounded = plan_partition(t, o);
  const double s1 = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  MESSAGE("with --max-latency-ms: " << s1 << " s");
  if (bounded.ok()) CHECK(bounded->latency_ms <= o.max_latency_ms * (1 + 1e-9));
#if !TANDEM_SANITIZED
  CHECK(s1 < 20.0);
#endif
}
