#include "scheduler/pipeline_setup.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/executor.h"
#include "engine/processor_registry.h"
#include "graph/hash.h"
#include "scheduler/intra_op.h"

namespace tandem {

Expected<std::vector<std::unique_ptr<Processor>>> create_processor_list(
    const ProcessorRegistry& registry, const std::string& list) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<std::string> specs,
                          split_processor_list(list, registry.kinds()));
  std::vector<std::unique_ptr<Processor>> procs;
  for (const auto& spec : specs) {
    auto p = registry.create(spec);
    if (!p.ok()) return p.status().with_context("--processors");
    procs.push_back(std::move(p).value());
  }
  return procs;
}

std::vector<Processor*> raw_pointers(const std::vector<std::unique_ptr<Processor>>& procs) {
  std::vector<Processor*> out;
  for (const auto& p : procs) out.push_back(p.get());
  return out;
}

std::string default_profile_path(const CostTable& t) {
  std::string specs;
  for (const auto& p : t.processors) specs += p.spec + ";";
  const std::string name = hex64(t.model_hash) + "-" + hex64(fnv1a64(specs)).substr(8) + ".json";
  return (std::filesystem::path(default_cache_dir()) / "models" / name).string();
}

Expected<CostTable> load_cost_table_for(const std::string& path, const Graph& g,
                                        const std::vector<std::string>& specs,
                                        const std::function<void(const std::string&)>& warn) {
  TANDEM_ASSIGN_OR_RETURN(CostTable t, load_cost_table(path));
  std::vector<std::string> expected = specs;
  if (expected.empty())
    for (const auto& p : t.processors) expected.push_back(p.spec);
  Status st = check_cost_table_matches(t, g, expected, nullptr);
  if (!st.ok()) return Status(st.code(), path + ": " + st.message());
  const MachineFingerprint here = current_machine_fingerprint();
  if (t.machine != here && warn)
    warn(path + " was measured on " + t.machine.to_string() + ", not on this machine (" +
         here.to_string() + "): predictions are for that machine");
  return t;
}

Expected<CostTable> obtain_cost_table(const Graph& g, const std::vector<Processor*>& processors,
                                      const std::string& profile_path,
                                      const ProfileOptions& options, bool save_profile) {
  std::vector<std::string> specs;
  for (Processor* p : processors) specs.push_back(p->spec());
  if (!profile_path.empty()) return load_cost_table_for(profile_path, g, specs, options.warn);
  TANDEM_ASSIGN_OR_RETURN(CostTable t, profile_model(g, processors, options));
  if (save_profile) {
    Status st = save_cost_table(default_profile_path(t), t);
    if (!st.ok() && options.warn) options.warn(st.message());
  }
  return t;
}

Expected<StoredPlan> read_plan_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return not_found(path + ": cannot open plan file");
  std::stringstream ss;
  ss << in.rdbuf();
  // The JSON line is the last line of `tandem plan --json` output; accept a whole capture.
  std::string text = ss.str(), line, last;
  std::stringstream lines(text);
  while (std::getline(lines, line))
    if (!line.empty() && line[0] == '{') last = line;
  if (last.empty()) return invalid_argument(path + ": no JSON plan object found");
  nlohmann::json j = nlohmann::json::parse(last, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("stages") || !j["stages"].is_array())
    return invalid_argument(path + ": not a plan (expected a JSON object with 'stages')");
  StoredPlan plan;
  if (j.contains("processors") && j["processors"].is_array())
    for (const auto& p : j["processors"])
      if (p.is_string()) plan.processors.push_back(p.get<std::string>());
  for (const auto& st : j["stages"]) {
    if (!st.is_object() || !st.contains("processor") || !st["processor"].is_string() ||
        !st.contains("first_node") || !st["first_node"].is_number_integer() ||
        !st.contains("last_node") || !st["last_node"].is_number_integer())
      return invalid_argument(path + ": stage " + std::to_string(plan.stages.size()) +
                              " needs processor, first_node and last_node");
    StoredPlan::Stage s;
    s.processor = st["processor"].get<std::string>();
    s.first_node = st["first_node"].get<int>();
    s.last_node = st["last_node"].get<int>();
    s.replicas = st.value("replicas", 1);
    plan.stages.push_back(s);
  }
  plan.objective = j.value("objective", std::string("file"));
  return plan;
}

Expected<Plan> choose_plan(const ModelFile& file, const CostTable& table,
                           const PipelineSetupOptions& options, PlanSource* source,
                           std::string* source_text) {
  std::vector<std::string> specs;
  for (const auto& p : table.processors) specs.push_back(p.spec);
  if (options.plan != "auto" && options.plan != "new") {
    TANDEM_ASSIGN_OR_RETURN(StoredPlan stored, read_plan_file(options.plan));
    if (stored.processors.empty()) stored.processors = specs;
    auto plan = plan_from_stored(table, stored);
    if (!plan.ok()) return plan.status().with_context(options.plan);
    plan->lower_bound_ms = plan_lower_bound(table, options.planning.allow_replicas);
    if (source) *source = PlanSource::kPlanFile;
    if (source_text) *source_text = "plan file " + options.plan;
    return plan;
  }
  if (options.plan == "auto" && file.plan && file.plan->processors == specs) {
    auto plan = plan_from_stored(table, *file.plan);
    if (plan.ok()) {
      plan->lower_bound_ms = plan_lower_bound(table, options.planning.allow_replicas);
      if (source) *source = PlanSource::kStoredInModel;
      if (source_text) *source_text = "plan stored in the model";
      return plan;
    }
  }
  if (source) *source = PlanSource::kNew;
  if (source_text)
    *source_text = file.plan && options.plan == "auto"
                       ? "new plan (the stored one was made for other processors)"
                       : "new plan";
  return plan_partition(table, options.planning);
}

std::vector<StageSpec> plan_stage_specs(const Plan& plan, const std::vector<Processor*>& procs) {
  std::vector<StageSpec> specs;
  for (const PlanStep& step : plan.steps) {
    std::vector<Processor*> ps;
    for (const StepProcessor& sp : step.processors) ps.push_back(procs[size_t(sp.processor)]);
    specs.emplace_back(std::move(ps), step.first_node, step.last_node);
  }
  return specs;
}

Expected<Pipeline::Tensors> pipeline_inputs(const Graph& g, const std::vector<HostTensor>& inputs) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<const HostTensor*> ordered, match_inputs(g, inputs));
  Pipeline::Tensors in;
  for (const HostTensor* t : ordered) in.push_back(t->data);
  return in;
}

std::vector<HostTensor> pipeline_outputs(const Graph& g, Pipeline::Tensors outputs) {
  std::vector<HostTensor> named;
  for (size_t j = 0; j < g.outputs.size() && j < outputs.size(); ++j)
    named.push_back(
        {g.tensor(g.outputs[j]).name, g.tensor(g.outputs[j]).shape, std::move(outputs[j])});
  return named;
}

Expected<PipelineSetup> setup_pipeline(const ModelFile& file, const ProcessorRegistry& registry,
                                       const std::string& processor_list,
                                       const PipelineSetupOptions& options) {
  PipelineSetup setup;
  TANDEM_ASSIGN_OR_RETURN(setup.processors, create_processor_list(registry, processor_list));
  std::vector<Processor*> procs = raw_pointers(setup.processors);
  TANDEM_ASSIGN_OR_RETURN(setup.table, obtain_cost_table(file.graph, procs, options.profile_path,
                                                         options.profile, options.save_profile));
  TANDEM_ASSIGN_OR_RETURN(
      setup.plan, choose_plan(file, setup.table, options, &setup.plan_source, &setup.source));
  if (options.planning.allow_intra_op && options.profile_path.empty() &&
      setup.plan_source == PlanSource::kNew) {
    TANDEM_ASSIGN_OR_RETURN(
        IntraOpResult r,
        consider_intra_op(registry, &setup.processors, &setup.table, &setup.plan, options.planning,
                          [&](const std::vector<Processor*>& procs) {
                            return obtain_cost_table(file.graph, procs, "", options.profile,
                                                     options.save_profile);
                          }));
    if (r.chosen) setup.source += ", intra-op";
    procs = raw_pointers(setup.processors);
  }
  TANDEM_ASSIGN_OR_RETURN(
      setup.pipeline,
      Pipeline::create(file.graph, plan_stage_specs(setup.plan, procs), options.pipeline));
  return setup;
}

}  // namespace tandem
