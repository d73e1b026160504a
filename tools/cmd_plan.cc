// tandem plan MODEL.tdm --processors A,B [--profile saved.json] [--objective throughput|latency]
//             [--max-latency-ms X] [--json] [--save] [--svg plan.svg]
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "api/default_registry.h"
#include "formats/model_file.h"
#include "scheduler/intra_op.h"
#include "scheduler/partitioner.h"
#include "scheduler/simulator.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/plan_svg.h"
#include "tools/reports.h"
#include "tools/scheduler_cli.h"

namespace tandem::cli {

namespace {

struct PlanCli {
  CLI::App* app = nullptr;
  PlanArgs args;
  bool json = false;
};

void add_plan_options(CLI::App& app, PlanCli& cli) {
  PlanArgs& s = cli.args;
  cli.app = app.add_subcommand("plan", "Split the model across processors (exact search)");
  CLI::App* sub = cli.app;
  sub->add_option("model", s.model, "model file (.tdm)")->required();
  sub->add_option("--processors", s.processors,
                  "processor specs, comma-separated (default: those of --profile)");
  sub->add_option("--profile", s.profile,
                  "plan from this saved profile (possibly from another machine)");
  sub->add_option("--objective", s.objective, "throughput or latency")
      ->check(CLI::IsMember({"throughput", "latency"}))
      ->capture_default_str();
  sub->add_option("--max-latency-ms", s.max_latency_ms,
                  "best throughput among plans whose predicted latency is at most this");
  sub->add_option("--min-gain", s.min_gain, "more processors must beat fewer by this fraction")
      ->capture_default_str();
  sub->add_flag("--no-replicas", s.no_replicas,
                "only plain pipelines (no parallel streams or replicated steps)");
  sub->add_flag("--no-intra-op", s.no_intra_op,
                "never replace cpu core groups by one multi-thread processor");
  sub->add_flag("--refresh", s.refresh, "measure again instead of using the cache");
  sub->add_option("--svg", s.svg,
                  "draw the plan: each node's cost per processor, the cuts, the step times");
  sub->add_flag("--json", cli.json, "print the plan as one JSON line (last stdout line)");
  sub->add_flag("--save", s.save, "store the plan in the model file");
}

// The table to plan from: --profile (processors not created), else measured on
// the created `processors`.
Expected<CostTable> plan_cost_table(const PlanArgs& s, const Graph& g, const ProfileOptions& po,
                                    std::vector<std::unique_ptr<Processor>>& processors) {
  if (!s.profile.empty()) {
    std::vector<std::string> specs;
    if (!s.processors.empty()) {
      TANDEM_ASSIGN_OR_RETURN(
          specs, split_processor_list(s.processors, default_processor_registry().kinds()));
    }
    return load_profile_for(s.profile, g, specs.empty() ? nullptr : &specs);
  }
  TANDEM_ASSIGN_OR_RETURN(processors,
                          create_processor_list(default_processor_registry(), s.processors));
  auto t = obtain_cost_table(g, raw_pointers(processors), "", po, /*save_profile=*/true);
  if (!t.ok()) return t.status().with_context(s.model);
  return t;
}

PlanOptions plan_options(const PlanArgs& s) {
  PlanOptions o;
  o.objective = s.objective == "latency" ? PlanObjective::kLatency : PlanObjective::kThroughput;
  o.max_latency_ms = s.max_latency_ms;
  o.min_gain = s.min_gain;
  o.allow_replicas = !s.no_replicas;
  o.allow_intra_op = !s.no_intra_op;
  return o;
}

nlohmann::json plan_json(const PlanArgs& s, const CostTable& table, const Plan& plan,
                         const SimulationResult& sim, double plan_ms) {
  nlohmann::json j;
  j["model"] = s.model;
  j["kind"] = plan_kind_name(plan.kind);
  j["objective"] = plan.objective;
  j["predicted_fps"] = plan.predicted_fps;
  j["period_ms"] = plan.period_ms;
  j["latency_ms"] = plan.latency_ms;
  j["simulated_fps"] = sim.fps;
  j["simulated_latency_ms"] = sim.latency_ms;
  j["lower_bound_ms"] = plan.lower_bound_ms;
  j["gap"] = plan.lower_bound_ms > 0 ? plan.period_ms / plan.lower_bound_ms - 1 : 0.0;
  j["reason"] = plan.reason;
  j["plan_ms"] = plan_ms;
  j["processors"] = nlohmann::json::array();
  for (const auto& pc : table.processors) j["processors"].push_back(pc.spec);
  j["stages"] = nlohmann::json::array();
  // One entry per processor of each step (the plan file layout read_plan_file reads).
  for (const PlanStep& step : plan.steps)
    for (const StepProcessor& sp : step.processors)
      j["stages"].push_back({{"processor", table.processors[size_t(sp.processor)].spec},
                             {"first_node", step.first_node},
                             {"last_node", step.last_node},
                             {"replicas", step.num_processors()},
                             {"compute_ms", sp.compute_ms},
                             {"transfer_ms", sp.transfer_ms},
                             {"predicted_ms", sp.time_ms()}});
  return j;
}

Status write_plan_svg(const PlanArgs& s, const CostTable& table, const Plan& plan) {
  std::ofstream f(s.svg, std::ios::binary);
  f << plan_svg(plan_picture(table, plan, s.model));
  f.close();
  if (!f) return io_error("cannot write the plan picture " + s.svg);
  return Status();
}

}  // namespace

Expected<Report> plan_report(const PlanArgs& s) {
  auto file = read_model_file(s.model);
  if (!file.ok()) return file.status();
  const Graph& g = file->graph;
  if (s.processors.empty() && s.profile.empty())
    return invalid_argument("--processors is required (or --profile FILE)");
  std::vector<std::unique_ptr<Processor>> processors;  // measured ones (not with --profile)
  ProfileOptions po;
  po.refresh = s.refresh;
  po.cache_dir = default_cache_dir();
  if (s.progress) po.progress = progress_printer();
  po.warn = print_warning;
  TANDEM_ASSIGN_OR_RETURN(CostTable table, plan_cost_table(s, g, po, processors));

  const PlanOptions o = plan_options(s);
  const auto t0 = std::chrono::steady_clock::now();
  auto plan = plan_partition(table, o);
  const double plan_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!plan.ok()) return plan.status().with_context(s.model);
  if (o.allow_intra_op && !processors.empty()) {
    auto r = consider_intra_op(default_processor_registry(), &processors, &table, &plan.value(), o,
                               [&](const std::vector<Processor*>& procs) {
                                 return obtain_cost_table(g, procs, "", po, true);
                               });
    if (!r.ok()) return r.status().with_context(s.model);
  }
  TANDEM_ASSIGN_OR_RETURN(SimulationResult sim, simulate_plan(*plan));

  Report report;
  report.text = plan_to_text(table, *plan);
  appendf(report.text,
          "simulated (2 slots per boundary): %.2f fps, latency %.3f ms; planned in %.1f ms\n",
          sim.fps, sim.latency_ms, plan_ms);
  if (s.save) {
    StoredPlan stored = to_stored_plan(table, *plan);
    TANDEM_RETURN_IF_ERROR(write_model_file(s.model, g, &stored));
    appendf(report.text, "plan saved into %s\n", s.model.c_str());
  }
  if (!s.svg.empty()) {
    TANDEM_RETURN_IF_ERROR(write_plan_svg(s, table, *plan));
    appendf(report.text, "plan picture written to %s\n", s.svg.c_str());
  }
  report.json = plan_json(s, table, *plan, sim, plan_ms);
  return report;
}

Command make_plan_command() {
  auto s = std::make_shared<PlanCli>();
  Command c;
  c.add = [s](CLI::App& app) { add_plan_options(app, *s); };
  c.selected = [s] { return s->app && s->app->parsed(); };
  c.run = [s]() -> int {
    auto r = plan_report(s->args);
    if (!r.ok()) return fail(r.status());
    std::cout << r->text;
    if (s->json) std::cout << r->json.dump() << std::endl;
    return 0;
  };
  return c;
}

}  // namespace tandem::cli
