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

TEST_CASE("intra_op_spec merges plain disjoint cpu core groups only") {
  CHECK(intra_op_spec({"cpu:cores=0", "cpu:cores=1"}) == "cpu:cores=0+1");
  CHECK(intra_op_spec({"cpu:cores=2-3", "cpu:cores=0"}) == "cpu:cores=0+2+3");
  CHECK(intra_op_spec({"cpu:cores=0+2", "cpu:cores=1"}) == "cpu:cores=0+1+2");
  CHECK(intra_op_spec({"cpu:cores=0"}) == "");                   // one group: nothing to merge
  CHECK(intra_op_spec({"cpu:cores=0-1", "cpu:cores=1"}) == "");  // overlapping
  CHECK(intra_op_spec({"cpu:cores=0", "opencl"}) == "");         // not all cpu
  CHECK(intra_op_spec({"cpu:threads=1", "cpu:cores=1"}) == "");  // not pinned
  CHECK(intra_op_spec({"cpu:cores=0,winograd=off", "cpu:cores=1"}) == "");  // other options
  CHECK(intra_op_spec({"cpu:cores=x", "cpu:cores=1"}) == "");
  CHECK(intra_op_spec({"cpu:cores=3-1", "cpu:cores=0"}) == "");
  CHECK(intra_op_spec({"cpu:cores=0-2000000000", "cpu:cores=1"}) == "");
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
    auto r = consider_intra_op(g, default_processor_registry(), &procs.value(), &table.value(),
                               &plan.value(), po, o, true);
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    CHECK(r->fps > 0);
    *chosen = r->chosen;
    if (r->chosen) {
      REQUIRE(procs->size() == 1);
      CHECK((*procs)[0]->threads() == 2);
      CHECK(table->processors.size() == 1);
      REQUIRE(plan->stages.size() == 1);
      CHECK(plan->stages[0].first_node == 0);
      CHECK(plan->stages[0].last_node == int(g.nodes.size()));
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
  auto r = consider_intra_op(g, default_processor_registry(), &procs.value(), &table.value(),
                             &plan.value(), po, PlanOptions{}, true);
  REQUIRE(r.ok());
  CHECK_FALSE(r->chosen);
  CHECK(r->fps == 0);
  std::filesystem::remove_all(dir);
}
