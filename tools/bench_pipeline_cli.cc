#include "tools/bench_pipeline_cli.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

#include "api/default_registry.h"
#include "scheduler/pipeline_bench.h"
#include "scheduler/pipeline_setup.h"
#include "scheduler/simulator.h"
#include "tools/cli_util.h"
#include "tools/reports.h"
#include "tools/scheduler_cli.h"

namespace tandem::cli {
namespace {

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

Pipeline::Tensors input_vectors(const Graph& g) {
  Pipeline::Tensors in;
  for (HostTensor& t : synthetic_inputs(g)) in.push_back(std::move(t.data));
  return in;
}

// A one-stage pipeline over the whole graph on `spec`.
Status make_baseline(const Graph& g, const std::string& spec, std::unique_ptr<Processor>& proc,
                     std::unique_ptr<Pipeline>& pipe) {
  auto bp = create_processor(spec);
  if (!bp.ok()) return bp.status().with_context("--baseline");
  proc = std::move(bp).value();
  auto bpipe = Pipeline::create(g, {StageSpec(proc.get(), 0, static_cast<int>(g.nodes.size()))});
  if (!bpipe.ok()) return bpipe.status().with_context(spec);
  pipe = std::move(bpipe).value();
  return Status();
}

// One entry per processor of each plan step (the plan file layout) with its
// predicted and measured times (measured stats are per pipeline stage = step,
// its processors merged).
nlohmann::json stages_json(const PipelineSetup& setup, const PipelineBenchResult& last) {
  nlohmann::json stages = nlohmann::json::array();
  for (const PlanStep& step : setup.plan.steps) {
    const StageStats* measured = nullptr;
    for (const StageStats& ms : last.stages)
      if (ms.first_node == step.first_node && ms.last_node == step.last_node) measured = &ms;
    for (const StepProcessor& sp : step.processors) {
      nlohmann::json st = {{"processor", setup.table.processors[size_t(sp.processor)].spec},
                           {"first_node", step.first_node},
                           {"last_node", step.last_node},
                           {"replicas", step.num_processors()},
                           {"predicted_ms", sp.time_ms()}};
      if (measured) {
        st["measured_ms"] = measured->compute_ms + measured->transfer_ms;
        st["measured_compute_ms"] = measured->compute_ms;
        st["measured_wait_input_ms"] = measured->wait_input_ms;
        st["measured_wait_output_ms"] = measured->wait_output_ms;
      }
      stages.push_back(st);
    }
  }
  return stages;
}

nlohmann::json bench_json(const PipelineBenchArgs& a, const PipelineSetup& setup,
                          const PipelineBenchResult& last, const std::vector<double>& plan_fps,
                          const std::vector<double>& base_fps, double fps, double bfps) {
  const Plan& plan = setup.plan;
  nlohmann::json j;
  j["model"] = a.model;
  j["processors"] = a.processors;
  j["plan_source"] = setup.source;
  j["plan_kind"] = plan_kind_name(plan.kind);
  j["fps"] = fps;
  j["fps_rounds"] = plan_fps;
  j["predicted_fps"] = plan.predicted_fps;
  j["latency_ms"] = last.latency_ms_median;
  j["loaded_latency_ms"] = last.loaded_latency_ms_median;
  j["frames"] = a.frames;
  j["stages"] = stages_json(setup, last);
  if (a.compare) {
    j["baseline"] = a.baseline;
    j["baseline_fps"] = bfps;
    j["baseline_fps_rounds"] = base_fps;
    j["ratio"] = bfps > 0 ? fps / bfps : 0.0;
  }
  return j;
}

std::string rounds_text(const std::vector<double>& fps) {
  std::string s;
  for (double f : fps) s += (s.empty() ? "" : " ") + std::to_string(f).substr(0, 6);
  return s;
}

}  // namespace

Expected<Report> pipeline_bench_report(const PipelineBenchArgs& a) {
  TANDEM_ASSIGN_OR_RETURN(ModelFile file, read_model_file(a.model));
  const Graph& g = file.graph;
  PipelineSetupOptions o;
  o.plan = a.plan;
  o.profile_path = a.profile;
  o.profile.cache_dir = default_cache_dir();
  if (a.progress) o.profile.progress = progress_printer();
  o.profile.warn = print_warning;
  auto setup = setup_pipeline(file, default_processor_registry(), a.processors, o);
  if (!setup.ok()) return setup.status().with_context(a.model);
  const Plan& plan = setup->plan;
  Report r;
  appendf(r.text, "plan (%s): %s, predicted %.2f FPS\n", setup->source.c_str(),
          plan_kind_name(plan.kind), plan.predicted_fps);
  r.text += plan_to_text(setup->table, plan);

  // The baseline runs as a one-stage pipeline, measured exactly like the plan;
  // both stay compiled, only one runs at a time (interleaved rounds).
  std::unique_ptr<Processor> base_proc;
  std::unique_ptr<Pipeline> base;
  if (a.compare) TANDEM_RETURN_IF_ERROR(make_baseline(g, a.baseline, base_proc, base));

  Pipeline::Tensors inputs = input_vectors(g);
  std::vector<double> plan_fps, base_fps;
  PipelineBenchResult last;
  const int rounds = a.compare ? std::max(1, a.rounds) : 1;
  for (int round = 0; round < rounds; ++round) {
    if (base) {
      auto br = bench_pipeline(*base, inputs, a.frames);
      if (!br.ok()) return br.status().with_context("baseline " + a.baseline);
      base_fps.push_back(br->fps);
    }
    PipelineBenchOptions bo;
    if (round == rounds - 1) bo.trace_path = a.trace;
    auto pr = bench_pipeline(*setup->pipeline, inputs, a.frames, bo);
    if (!pr.ok()) return pr.status().with_context(a.model);
    plan_fps.push_back(pr->fps);
    last = std::move(pr).value();
  }
  const double fps = median_of(plan_fps);
  r.text += format_pipeline_bench(last);
  appendf(r.text, "pipelined: %.2f FPS median of %zu round(s) [%s], predicted %.2f (%.1f%% off)\n",
          fps, plan_fps.size(), rounds_text(plan_fps).c_str(), plan.predicted_fps,
          fps > 0 ? 100.0 * (plan.predicted_fps - fps) / fps : 0.0);
  const double bfps = median_of(base_fps);
  if (a.compare)
    appendf(r.text, "baseline %s: %.2f FPS median; plan / baseline = %.3f\n", a.baseline.c_str(),
            bfps, bfps > 0 ? fps / bfps : 0.0);
  if (!a.trace.empty()) appendf(r.text, "trace written to %s\n", a.trace.c_str());
  r.json = bench_json(a, *setup, last, plan_fps, base_fps, fps, bfps);
  return r;
}

}  // namespace tandem::cli
