// The intra-op candidate (scheduler/intra_op.h): which processor lists have one,
// and replacing a plan over core groups by the merged processor (or keeping it).
#include <doctest/doctest.h>

#include <filesystem>

#include "api/default_registry.h"
#include "kernels/cpu/cpu_processor.h"
#include "scheduler/intra_op.h"
#include "scheduler/pipeline_setup.h"
#include "tests/cpu_compare.h"
#include "tests/skip.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

// A processor that only answers the questions intra_op_spec asks.
class CoreGroup : public Processor {
 public:
  CoreGroup(std::vector<int> cores, std::string kind) : cores_(std::move(cores)), kind_(kind) {}
  std::string spec() const override { return kind_; }
  bool supports(const Graph&, const Node&) const override { return true; }
  Expected<std::unique_ptr<Executable>> compile(const Graph&, int, int) override {
    return unsupported("not compiled in this test");
  }
  std::vector<int> cores() const override { return cores_; }
  std::string core_group_spec(const std::vector<int>& cores) const override {
    if (kind_.empty()) return "";
    std::string s = kind_ + ":";
    for (int c : cores) s += std::to_string(c) + ".";
    return s;
  }

 private:
  std::vector<int> cores_;
  std::string kind_;
};

std::string merged(std::vector<CoreGroup> groups) {
  std::vector<Processor*> ps;
  for (auto& p : groups) ps.push_back(&p);
  return intra_op_spec(ps);
}

}  // namespace

TEST_CASE("intra_op_spec merges plain disjoint core groups of one kind only") {
  CHECK(merged({{{0}, "a"}, {{1}, "a"}}) == "a:0.1.");
  CHECK(merged({{{2, 3}, "a"}, {{0}, "a"}}) == "a:0.2.3.");
  CHECK(merged({{{0}, "a"}}) == "");                 // one group: nothing to merge
  CHECK(merged({{{0, 1}, "a"}, {{1}, "a"}}) == "");  // overlapping
  CHECK(merged({{{0}, "a"}, {{1}, "b"}}) == "");     // other kinds or settings
  CHECK(merged({{{}, "a"}, {{1}, "a"}}) == "");      // not pinned
  CHECK(merged({{{0}, ""}, {{1}, ""}}) == "");       // no core-group variant
}

TEST_CASE("the cpu processor's core group spec: plain pinned groups only") {
  const std::vector<int> cores = cpu_available_cores();
  const std::string c0 = std::to_string(cores[0]);
  auto plain = [](std::vector<int> on) {
    CpuSpec s;
    s.threads = int(on.size());
    s.cores = std::move(on);
    return cpu_spec_text(s);
  };
  CHECK(make("cpu:cores=" + c0)->core_group_spec({cores[0]}) == "cpu:cores=" + c0);
  CHECK(make("cpu:cores=" + c0)->core_group_spec(cores) == plain(cores));
  CHECK(make("cpu:cores=" + c0 + ",winograd=off")->core_group_spec(cores) == "");
  CHECK(make("cpu:threads=1")->core_group_spec(cores) == "");
  if (cores.size() < 2) {
    MESSAGE("skipped the two-group checks: fewer than two cores available");
    return;
  }
  CHECK(make("cpu:cores=" + c0 + ",threads=2")->core_group_spec(cores) == "");
  auto a = make("cpu:cores=" + c0);
  auto b = make("cpu:cores=" + std::to_string(cores[1]));
  CHECK(intra_op_spec({a.get(), b.get()}) == plain({cores[0], cores[1]}));
  CHECK(intra_op_spec({a.get(), make("reference").get()}) == "");
}

TEST_CASE("consider_intra_op replaces core groups when the merged processor wins") {
  std::vector<int> cores = cpu_available_cores();
  if (!test::skip_unless(cores.size() >= 2, "fewer than two cores available")) {
    return;
  }
  Graph g = conv_graph(32, 24, 24, 32, conv_attrs(3, 1, 1), true);
  const std::string a = "cpu:cores=" + std::to_string(cores[0]);
  const std::string b = "cpu:cores=" + std::to_string(cores[1]);
  const std::string dir = test::temp_path("intra_op_cache");
  std::filesystem::remove_all(dir);
  ProfileOptions po;
  po.cache_dir = dir;
  po.warmup_runs = 1;
  po.min_runs = 3;
  po.max_runs = 5;
  auto measure = [&](const std::vector<Processor*>& ps) {
    return obtain_cost_table(g, ps, "", po, true);
  };
  // The plan's predicted FPS is set to make the outcome certain: a plan at 1e-6 FPS
  // loses to any measured processor, one at 1e12 FPS to none.
  auto run = [&](double plan_fps, bool* chosen) {
    auto procs = create_processor_list(default_processor_registry(), a + "," + b);
    REQUIRE(procs.ok());
    auto table = obtain_cost_table(g, raw_pointers(*procs), "", po, true);
    REQUIRE_MESSAGE(table.ok(), table.status().to_string());
    PlanOptions o;
    auto plan = plan_partition(*table, o);
    REQUIRE(plan.ok());
    plan->predicted_fps = plan_fps;
    const double before = plan->predicted_fps;
    auto r = consider_intra_op(default_processor_registry(), &procs.value(), &table.value(),
                               &plan.value(), o, measure);
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    CHECK(r->fps > 0);
    *chosen = r->chosen;
    if (r->chosen) {
      REQUIRE(procs->size() == 1);
      CHECK((*procs)[0]->threads() == 2);
      CHECK(table->processors.size() == 1);
      REQUIRE(plan->num_steps() == 1);
      CHECK(plan->steps[0].num_processors() == 1);
      CHECK(plan->steps[0].first_node == 0);
      CHECK(plan->steps[0].last_node == int(g.nodes.size()));
      CHECK(plan->reason.find("intra-op") != std::string::npos);
      CHECK(plan->predicted_fps == doctest::Approx(r->fps));
      // The merged processor computes what the reference does.
      auto exe = (*procs)[0]->compile(g, 0, int(g.nodes.size()));
      REQUIRE(exe.ok());
    } else {
      CHECK(procs->size() == 2);
      CHECK(plan->predicted_fps == before);
      CHECK(plan->reason.find("kept the plan") != std::string::npos);
    }
  };
  bool chosen = false;
  run(1e-6, &chosen);
  CHECK(chosen);
  run(1e12, &chosen);
  CHECK_FALSE(chosen);
  // Another processor mix has no intra-op candidate.
  auto procs = create_processor_list(default_processor_registry(), "reference," + a);
  REQUIRE(procs.ok());
  auto table = obtain_cost_table(g, raw_pointers(*procs), "", po, true);
  REQUIRE(table.ok());
  auto plan = plan_partition(*table, PlanOptions{});
  REQUIRE(plan.ok());
  auto r = consider_intra_op(default_processor_registry(), &procs.value(), &table.value(),
                             &plan.value(), PlanOptions{}, measure);
  REQUIRE(r.ok());
  CHECK_FALSE(r->chosen);
  CHECK(r->fps == 0);
  std::filesystem::remove_all(dir);
}
