// tandem run MODEL.tdm --input in.npy --output out.npy [--processor SPEC]
#include <iostream>
#include <memory>

#include "engine/processor_registry.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace tandem::cli {

Command make_run_command() {
  struct State {
    CLI::App* app = nullptr;
    std::string model;
    std::vector<std::string> inputs, outputs;
    std::string processor = "reference";
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
  };
  c.selected = [s] { return s->app && s->app->parsed(); };
  c.run = [s]() -> int {
    auto file = read_model_file(s->model);
    if (!file.ok()) return fail(file.status());
    auto inputs = read_inputs(s->inputs);
    if (!inputs.ok()) return fail(inputs.status());
    auto proc = create_processor(s->processor);
    if (!proc.ok()) return fail(proc.status());
    auto session = Executor::create(file->graph, **proc);
    if (!session.ok()) return fail(session.status().with_context(s->model));
    auto outputs = (*session)->run(*inputs);
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
