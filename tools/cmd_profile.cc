// tandem profile MODEL.tdm --processors A,B [--refresh] [--json] [--profile FILE] [--validate]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "api/default_registry.h"
#include "formats/model_file.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/scheduler_cli.h"

namespace tandem::cli {

namespace {

struct ProcessorSummary {
  double total_ms = 0;  // sum over the nodes it can run
  int measured = 0, estimated = 0, unsupported = 0;
};

ProcessorSummary summarise(const CostTable& t, int p) {
  ProcessorSummary s;
  const auto& pc = t.processors[size_t(p)];
  for (size_t n = 0; n < pc.node_ms.size(); ++n) {
    if (std::isnan(pc.node_ms[n])) {
      ++s.unsupported;
      continue;
    }
    s.total_ms += pc.node_ms[n];
    (pc.estimated[n] ? s.estimated : s.measured) += 1;
  }
  return s;
}

struct ProfileArgs {
  CLI::App* app = nullptr;
  std::string model, processors, profile, output;
  bool refresh = false, json = false, validate = false;
  int max_runs = 40;
};

void add_profile_options(CLI::App& app, ProfileArgs& s) {
  app.add_option("model", s.model, "model file (.tdm)")->required();
  app.add_option("--processors", s.processors,
                 "processor specs, comma-separated (cpu:cores=0,cpu:cores=1,opencl)");
  app.add_flag("--refresh", s.refresh, "ignore the cache and measure everything again");
  app.add_flag("--json", s.json, "print a one-line JSON summary as the last stdout line");
  app.add_option("--profile", s.profile,
                 "use this saved profile instead of measuring (checked against the model)");
  app.add_option("--output,-o", s.output, "where to save the profile (default: the cache folder)");
  app.add_flag("--validate", s.validate,
               "also time each processor's whole-model run and compare with the prediction");
  app.add_option("--max-runs", s.max_runs, "most timed runs per processor")->capture_default_str();
}

// The processors a saved profile was made for (to validate it on).
Expected<std::vector<std::unique_ptr<Processor>>> processors_of(const CostTable& table) {
  std::string list;
  for (const auto& p : table.processors) list += (list.empty() ? "" : ",") + p.spec;
  return create_processor_list(default_processor_registry(), list);
}

// A saved profile, checked against the model; with --validate its whole-model
// times are measured again (everything else comes from the file).
Expected<CostTable> load_and_validate(const ProfileArgs& s, const Graph& g,
                                      const std::vector<std::string>& specs,
                                      std::vector<std::unique_ptr<Processor>>& procs) {
  TANDEM_ASSIGN_OR_RETURN(CostTable table,
                          load_profile_for(s.profile, g, specs.empty() ? nullptr : &specs));
  if (!s.validate) return table;
  if (procs.empty()) {
    auto created = processors_of(table);
    if (!created.ok()) return created.status().with_context("--validate");
    procs = std::move(created).value();
  }
  ProfileOptions o;
  o.validate = true;
  o.measure_corun = false;
  o.measure_transfers = false;
  o.max_runs = 7;
  o.min_runs = 7;
  o.warmup_runs = 1;
  o.progress = progress_printer();
  o.warn = print_warning;
  TANDEM_ASSIGN_OR_RETURN(CostTable m, profile_model(g, raw_pointers(procs), o));
  for (size_t p = 0; p < table.processors.size(); ++p)
    table.processors[p].measured_total_ms = m.processors[p].measured_total_ms;
  return table;
}

// Measures (or takes from the cache) and saves the table; `saved_to` says where.
Expected<CostTable> measure_and_save(const ProfileArgs& s, const Graph& g,
                                     const std::vector<std::unique_ptr<Processor>>& procs,
                                     std::string* saved_to) {
  ProfileOptions o;
  o.refresh = s.refresh;
  o.validate = s.validate;
  o.max_runs = s.max_runs;
  o.cache_dir = default_cache_dir();
  o.progress = progress_printer();
  o.warn = print_warning;
  auto t = profile_model(g, raw_pointers(procs), o);
  if (!t.ok()) return t.status().with_context(s.model);
  *saved_to = s.output.empty() ? default_profile_path(*t) : s.output;
  TANDEM_RETURN_IF_ERROR(save_cost_table(*saved_to, *t));
  return t;
}

void print_table(const ProfileArgs& s, const CostTable& table) {
  std::printf("model: %s (%zu nodes)\n", s.model.c_str(), table.nodes.size());
  std::printf("machine: %s\n", table.machine.to_string().c_str());
  std::printf("%-24s %10s %9s %9s %9s %8s %9s %8s\n", "processor", "sum ms", "measured",
              "estimated", "unsupp.", "co-run", "GFLOP/s", "GB/s");
  for (int p = 0; p < table.num_processors(); ++p) {
    const auto sm = summarise(table, p);
    const auto& pc = table.processors[size_t(p)];
    std::printf("%-24s %10.3f %9d %9d %9d %8.3f %9.1f %8.1f\n", pc.spec.c_str(), sm.total_ms,
                sm.measured, sm.estimated, sm.unsupported, pc.corun_factor, pc.gflops, pc.gbps);
  }
  if (table.num_processors() < 2) return;
  std::printf("transfers (latency ms + ms per MB):\n");
  for (int a = 0; a < table.num_processors(); ++a)
    for (int b = 0; b < table.num_processors(); ++b)
      if (a != b) {
        const auto& m = table.transfer[size_t(a)][size_t(b)];
        std::printf("  %-20s -> %-20s %8.4f + %8.4f\n", table.processors[size_t(a)].spec.c_str(),
                    table.processors[size_t(b)].spec.c_str(), m.latency_ms,
                    m.ms_per_byte * 1048576.0);
      }
}

// Predicted against measured whole-model times: printed, and returned as JSON.
nlohmann::json print_validation(const CostTable& table) {
  nlohmann::json validate = nlohmann::json::array();
  std::printf("validation (whole model on one processor):\n");
  std::printf("  %-24s %12s %12s %8s\n", "processor", "predicted ms", "measured ms", "error");
  for (int p = 0; p < table.num_processors(); ++p) {
    const auto sm = summarise(table, p);
    const double meas = table.processors[size_t(p)].measured_total_ms;
    std::printf("  %-24s %12.3f %12.3f %7.1f%%%s\n", table.processors[size_t(p)].spec.c_str(),
                sm.total_ms, meas, 100.0 * (sm.total_ms / meas - 1),
                sm.unsupported ? " (supported nodes only)" : "");
    nlohmann::json v = {
        {"processor", table.processors[size_t(p)].spec},
        {"predicted_ms", sm.total_ms},
        {"measured_ms", std::isnan(meas) ? nlohmann::json(nullptr) : nlohmann::json(meas)}};
    if (sm.unsupported) v["partial"] = true;
    validate.push_back(v);
  }
  return validate;
}

void print_json(const ProfileArgs& s, const CostTable& table, const std::string& saved_to,
                double seconds, const nlohmann::json& validate) {
  nlohmann::json j;
  j["model"] = s.model;
  j["profile"] = saved_to.empty() ? s.profile : saved_to;
  j["seconds"] = seconds;
  j["processors"] = nlohmann::json::array();
  for (int p = 0; p < table.num_processors(); ++p) {
    const auto sm = summarise(table, p);
    const auto& pc = table.processors[size_t(p)];
    j["processors"].push_back({{"spec", pc.spec},
                               {"total_ms", sm.total_ms},
                               {"measured_nodes", sm.measured},
                               {"estimated_nodes", sm.estimated},
                               {"unsupported_nodes", sm.unsupported},
                               {"corun_factor", pc.corun_factor},
                               {"gflops", pc.gflops},
                               {"gbps", pc.gbps}});
  }
  if (s.validate) j["validate"] = validate;
  std::cout << j.dump() << std::endl;
}

int run_profile(const ProfileArgs& s) {
  const auto t0 = std::chrono::steady_clock::now();
  auto file = read_model_file(s.model);
  if (!file.ok()) return fail(file.status());
  const Graph& g = file->graph;
  if (s.processors.empty() && s.profile.empty())
    return fail(invalid_argument("--processors is required (or --profile FILE)"));
  std::vector<std::unique_ptr<Processor>> procs;
  std::vector<std::string> specs;
  if (!s.processors.empty()) {
    auto created = create_processor_list(default_processor_registry(), s.processors);
    if (!created.ok()) return fail(created.status());
    procs = std::move(created).value();
    for (const auto& p : procs) specs.push_back(p->spec());
  }
  std::string saved_to;
  auto t = s.profile.empty() ? measure_and_save(s, g, procs, &saved_to)
                             : load_and_validate(s, g, specs, procs);
  if (!t.ok()) return fail(t.status());
  const CostTable& table = *t;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  print_table(s, table);
  nlohmann::json validate = nlohmann::json::array();
  if (s.validate) validate = print_validation(table);
  if (!saved_to.empty()) std::printf("profile saved to %s\n", saved_to.c_str());
  std::printf("took %.1f s\n", seconds);
  if (s.json) print_json(s, table, saved_to, seconds, validate);
  return 0;
}

}  // namespace

Command make_profile_command() {
  auto s = std::make_shared<ProfileArgs>();
  Command c;
  c.add = [s](CLI::App& app) {
    s->app = app.add_subcommand(
        "profile",
        "Measure every node on every processor, the hand-over costs and co-run slowdown");
    add_profile_options(*s->app, *s);
  };
  c.selected = [s] { return s->app && s->app->parsed(); };
  c.run = [s]() -> int { return run_profile(*s); };
  return c;
}

}  // namespace tandem::cli
