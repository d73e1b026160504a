// tandem run MODEL.tdm --input in.npy --output out.npy [--processor SPEC]
//   or [--processors A,B --plan auto|new|FILE]: one frame through the pipeline
#include <cstdio>
#include <iostream>
#include <memory>

#include "api/default_registry.h"
#include "scheduler/pipeline_setup.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/scheduler_cli.h"

namespace tandem::cli {
namespace {

Expected<std::vector<HostTensor>> run_single(const ModelFile& file,
                                             const std::vector<HostTensor>& inputs,
                                             const std::string& spec) {
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Processor> proc, create_processor(spec));
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Executor> exe, Executor::create(file.graph, *proc));
  return exe->run(inputs);
}

Expected<std::vector<HostTensor>> run_pipelined(const ModelFile& file,
                                                const std::vector<HostTensor>& inputs,
                                                const std::string& processors,
                                                const std::string& plan,
                                                const std::string& profile) {
  TANDEM_ASSIGN_OR_RETURN(Pipeline::Tensors in, pipeline_inputs(file.graph, inputs));
  PipelineSetupOptions o;
  o.plan = plan;
  o.profile_path = profile;
  o.profile.cache_dir = default_cache_dir();
  o.profile.progress = progress_printer();
  o.profile.warn = print_warning;
  TANDEM_ASSIGN_OR_RETURN(PipelineSetup setup,
                          setup_pipeline(file, default_processor_registry(), processors, o));
  std::fprintf(stderr, "plan (%s): %s, predicted %.2f FPS\n", setup.source.c_str(),
               plan_kind_name(setup.plan.kind), setup.plan.predicted_fps);
  TANDEM_ASSIGN_OR_RETURN(Pipeline::Tensors out, setup.pipeline->run(std::move(in)));
  return pipeline_outputs(file.graph, std::move(out));
}

}  // namespace

Command make_run_command() {
  struct State {
    CLI::App* app = nullptr;
    std::string model;
    std::vector<std::string> inputs, outputs;
    std::string processor = "reference";
    std::string processors, plan = "auto", profile;
  };
  auto s = std::make_shared<State>();
  Command c;
  c.add = [s](CLI::App& app) {
    s->app = app.add_subcommand("run", "Run a model on inputs from .npy files");
    s->app->add_option("model", s->model, "model file (.tdm)")->required();
    s->app->add_option("--input,-i", s->inputs, "input .npy (or NAME=PATH, repeatable)")
        ->required();
    s->app->add_option("--output,-o", s->outputs, "output .npy (or NAME=PATH, repeatable)");
    s->app
        ->add_option("--processor,-p", s->processor,
                     "processor spec (reference, cpu, cpu:threads=2, opencl)")
        ->capture_default_str();
    s->app->add_option("--processors", s->processors,
                       "run pipelined across these processors (cpu:cores=0,cpu:cores=1, ...)");
    s->app
        ->add_option("--plan", s->plan,
                     "with --processors: auto (stored or new), new, or a plan JSON file")
        ->capture_default_str();
    s->app->add_option("--profile", s->profile,
                       "with --processors: plan from this cost table file");
  };
  c.selected = [s] { return s->app && s->app->parsed(); };
  c.run = [s]() -> int {
    auto file = read_model_file(s->model);
    if (!file.ok()) return fail(file.status());
    auto inputs = read_inputs(s->inputs);
    if (!inputs.ok()) return fail(inputs.status());
    auto outputs = s->processors.empty()
                       ? run_single(*file, *inputs, s->processor)
                       : run_pipelined(*file, *inputs, s->processors, s->plan, s->profile);
    if (!outputs.ok()) return fail(outputs.status().with_context(s->model));
    if (!s->outputs.empty()) {
      Status st = write_outputs(s->outputs, *outputs);
      if (!st.ok()) return fail(st);
    }
    for (const HostTensor& t : *outputs) {
      size_t best = 0;
      for (size_t i = 1; i < t.data.size(); ++i)
        if (t.data[i] > t.data[best]) best = i;
      std::cout << t.name << ": " << shape_to_string(t.shape) << ", argmax " << best << " ("
                << (t.data.empty() ? 0.0f : t.data[best]) << ")\n";
    }
    return 0;
  };
  return c;
}

}  // namespace tandem::cli
