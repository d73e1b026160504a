// From a model and a processor list to a running pipeline: create the
// processors, get a cost table (a profile file, the profile cache, or a fresh
// measurement), choose the plan (the one stored in the model when it was made
// for these processors, a plan file, or a new one from the partitioner) and
// start the Pipeline. Shared by `tandem run/bench --processors` and the APIs.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/host_tensor.h"
#include "engine/processor_registry.h"
#include "formats/model_file.h"
#include "scheduler/cost_model.h"
#include "scheduler/partitioner.h"
#include "scheduler/pipeline.h"
#include "scheduler/profiler.h"

namespace tandem {

// "cpu:cores=0,cpu:cores=1" -> processors created by `registry`, in order.
Expected<std::vector<std::unique_ptr<Processor>>> create_processor_list(
    const ProcessorRegistry& registry, const std::string& list);
std::vector<Processor*> raw_pointers(const std::vector<std::unique_ptr<Processor>>& procs);

struct PipelineSetupOptions {
  // "auto": the model's stored plan when made for these processors, else a
  // new plan; "new": always a new plan; anything else: a plan JSON file (as
  // `tandem plan --json` prints it).
  std::string plan = "auto";
  // A cost table file to plan from instead of measuring (`tandem profile -o`).
  std::string profile_path;
  ProfileOptions profile;  // how to measure when needed (cache_dir: the cache)
  PlanOptions planning;
  PipelineOptions pipeline;
  // Save a freshly measured table under the cache (default_profile_path).
  bool save_profile = true;
};

// Where a pipeline's plan came from.
enum class PlanSource {
  kPlanFile,       // PipelineSetupOptions::plan named a file
  kStoredInModel,  // the model's stored plan, made for these processors
  kNew,            // the partitioner, now
};

struct PipelineSetup {
  std::vector<std::unique_ptr<Processor>> processors;
  CostTable table;
  Plan plan;  // processor indices into `processors` (= table.processors)
  PlanSource plan_source = PlanSource::kNew;
  std::string source;  // where the plan came from, for humans
  std::unique_ptr<Pipeline> pipeline;
};

// Where a measured table for this model and processor list is cached.
std::string default_profile_path(const CostTable& table);

// Loads a cost table file and checks it fits `g` and `specs` (empty: the
// file's own processors); a profile from another machine is allowed and
// reported through `warn`. Errors start with the path.
Expected<CostTable> load_cost_table_for(const std::string& path, const Graph& g,
                                        const std::vector<std::string>& specs,
                                        const std::function<void(const std::string&)>& warn);

// Loads `profile_path` (checked against g and the processors; another
// machine's profile is allowed, reported through options.warn), or measures.
Expected<CostTable> obtain_cost_table(const Graph& g, const std::vector<Processor*>& processors,
                                      const std::string& profile_path,
                                      const ProfileOptions& options, bool save_profile);

// Reads a plan file (the JSON `tandem plan --json` prints).
Expected<StoredPlan> read_plan_file(const std::string& path);

// Chooses the plan for `file` on `table`'s processors (see PipelineSetupOptions::plan);
// says where it came from in `source` and, for humans, `source_text`.
Expected<Plan> choose_plan(const ModelFile& file, const CostTable& table,
                           const PipelineSetupOptions& options, PlanSource* source,
                           std::string* source_text);

// The pipeline stages of a plan: one per step, on the step's processors.
std::vector<StageSpec> plan_stage_specs(const Plan& plan, const std::vector<Processor*>& procs);

// Named host tensors -> the pipeline's input vectors (graph input order,
// shapes checked), and its output vectors -> named host tensors.
Expected<Pipeline::Tensors> pipeline_inputs(const Graph& g, const std::vector<HostTensor>& inputs);
std::vector<HostTensor> pipeline_outputs(const Graph& g, Pipeline::Tensors outputs);

// All of the above, with processors (and the intra-op candidate) made by
// `registry`. `file` must outlive the result.
Expected<PipelineSetup> setup_pipeline(const ModelFile& file, const ProcessorRegistry& registry,
                                       const std::string& processor_list,
                                       const PipelineSetupOptions& options = {});

}  // namespace tandem
