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
#include "tools/reports.h"
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

std::string processor_list(const CostTable& table) {
  std::string l;
  for (const auto& p : table.processors) l += (l.empty() ? "" : ",") + p.spec;
  return l;
}

// Only the whole-model times of --validate with --profile: the rest comes from the file.
Status validate_loaded(const Graph& g, const ProfileArgs& a,
                       std::vector<std::unique_ptr<Processor>>& procs, CostTable& table) {
  if (procs.empty()) {
    auto created = create_processor_list(default_processor_registry(), processor_list(table));
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
  if (a.progress) o.progress = progress_printer();
  o.warn = print_warning;
  TANDEM_ASSIGN_OR_RETURN(CostTable m, profile_model(g, raw_pointers(procs), o));
  for (size_t p = 0; p < table.processors.size(); ++p)
    table.processors[p].measured_total_ms = m.processors[p].measured_total_ms;
  return Status();
}

// The table: loaded from --profile (checked against the model), else measured
// and saved (to `saved_to`).
Expected<CostTable> profile_table(const Graph& g, const ProfileArgs& a, std::string& saved_to) {
  std::vector<std::unique_ptr<Processor>> procs;
  std::vector<std::string> specs;
  if (!a.processors.empty()) {
    TANDEM_ASSIGN_OR_RETURN(procs,
                            create_processor_list(default_processor_registry(), a.processors));
    for (const auto& p : procs) specs.push_back(p->spec());
  }
  if (!a.profile.empty()) {
    TANDEM_ASSIGN_OR_RETURN(CostTable table,
                            load_profile_for(a.profile, g, specs.empty() ? nullptr : &specs));
    if (a.validate) TANDEM_RETURN_IF_ERROR(validate_loaded(g, a, procs, table));
    return table;
  }
  ProfileOptions o;
  o.refresh = a.refresh;
  o.validate = a.validate;
  o.max_runs = a.max_runs;
  o.cache_dir = default_cache_dir();
  if (a.progress) o.progress = progress_printer();
  o.warn = print_warning;
  auto t = profile_model(g, raw_pointers(procs), o);
  if (!t.ok()) return t.status().with_context(a.model);
  saved_to = a.output.empty() ? default_profile_path(*t) : a.output;
  TANDEM_RETURN_IF_ERROR(save_cost_table(saved_to, *t));
  return t;
}

std::string table_text(const ProfileArgs& a, const CostTable& table) {
  std::string t;
  appendf(t, "model: %s (%zu nodes)\n", a.model.c_str(), table.nodes.size());
  appendf(t, "machine: %s\n", table.machine.to_string().c_str());
  appendf(t, "%-24s %10s %9s %9s %9s %8s %9s %8s\n", "processor", "sum ms", "measured", "estimated",
          "unsupp.", "co-run", "GFLOP/s", "GB/s");
  for (int p = 0; p < table.num_processors(); ++p) {
    const auto sm = summarise(table, p);
    const auto& pc = table.processors[size_t(p)];
    appendf(t, "%-24s %10.3f %9d %9d %9d %8.3f %9.1f %8.1f\n", pc.spec.c_str(), sm.total_ms,
            sm.measured, sm.estimated, sm.unsupported, pc.corun_factor, pc.gflops, pc.gbps);
  }
  if (table.num_processors() > 1) {
    appendf(t, "transfers (latency ms + ms per MB):\n");
    for (int a = 0; a < table.num_processors(); ++a)
      for (int b = 0; b < table.num_processors(); ++b)
        if (a != b) {
          const auto& m = table.transfer[size_t(a)][size_t(b)];
          appendf(t, "  %-20s -> %-20s %8.4f + %8.4f\n", table.processors[size_t(a)].spec.c_str(),
                  table.processors[size_t(b)].spec.c_str(), m.latency_ms,
                  m.ms_per_byte * 1048576.0);
        }
  }
  return t;
}

// --validate: each processor's predicted against measured whole-model time.
nlohmann::json validate_report(const CostTable& table, std::string& text) {
  nlohmann::json validate = nlohmann::json::array();
  appendf(text, "validation (whole model on one processor):\n");
  appendf(text, "  %-24s %12s %12s %8s\n", "processor", "predicted ms", "measured ms", "error");
  for (int p = 0; p < table.num_processors(); ++p) {
    const auto sm = summarise(table, p);
    const double meas = table.processors[size_t(p)].measured_total_ms;
    appendf(text, "  %-24s %12.3f %12.3f %7.1f%%%s\n", table.processors[size_t(p)].spec.c_str(),
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

}  // namespace

Expected<Report> profile_report(const ProfileArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  TANDEM_ASSIGN_OR_RETURN(ModelFile file, read_model_file(a.model));
  if (a.processors.empty() && a.profile.empty())
    return invalid_argument("--processors is required (or --profile FILE)");
  std::string saved_to;
  TANDEM_ASSIGN_OR_RETURN(CostTable table, profile_table(file.graph, a, saved_to));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Report r;
  r.text = table_text(a, table);
  nlohmann::json& j = r.json;
  if (a.validate) j["validate"] = validate_report(table, r.text);
  if (!saved_to.empty()) appendf(r.text, "profile saved to %s\n", saved_to.c_str());
  appendf(r.text, "took %.1f s\n", seconds);
  j["model"] = a.model;
  j["profile"] = saved_to.empty() ? a.profile : saved_to;
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
  return r;
}

Command make_profile_command() {
  struct State {
    CLI::App* app = nullptr;
    ProfileArgs args;
    bool json = false;
  };
  auto s = std::make_shared<State>();
  Command c;
  c.add = [s](CLI::App& app) {
    ProfileArgs& a = s->args;
    s->app = app.add_subcommand(
        "profile",
        "Measure every node on every processor, the hand-over costs and co-run slowdown");
    s->app->add_option("model", a.model, "model file (.tdm)")->required();
    s->app->add_option("--processors", a.processors,
                       "processor specs, comma-separated (cpu:cores=0,cpu:cores=1,opencl)");
    s->app->add_flag("--refresh", a.refresh, "ignore the cache and measure everything again");
    s->app->add_flag("--json", s->json, "print a one-line JSON summary as the last stdout line");
    s->app->add_option("--profile", a.profile,
                       "use this saved profile instead of measuring (checked against the model)");
    s->app->add_option("--output,-o", a.output,
                       "where to save the profile (default: the cache folder)");
    s->app->add_flag("--validate", a.validate,
                     "also time each processor's whole-model run and compare with the prediction");
    s->app->add_option("--max-runs", a.max_runs, "most timed runs per processor")
        ->capture_default_str();
  };
  c.selected = [s] { return s->app && s->app->parsed(); };
  c.run = [s]() -> int {
    auto r = profile_report(s->args);
    if (!r.ok()) return fail(r.status());
    std::cout << r->text;
    if (s->json) std::cout << r->json.dump() << std::endl;
    return 0;
  };
  return c;
}

}  // namespace tandem::cli
