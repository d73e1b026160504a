// tandem info MODEL.tdm: inputs, outputs, ops by type, parameters, MACs.
#include <iostream>
#include <map>
#include <memory>

#include "api/default_registry.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace tandem::cli {

Command make_info_command() {
  struct State {
    CLI::App* app = nullptr;
    std::string model;
    std::string processor;
  };
  auto s = std::make_shared<State>();
  Command c;
  c.add = [s](CLI::App& app) {
    s->app = app.add_subcommand("info", "Show a model's inputs, outputs, ops, parameters and MACs");
    s->app->add_option("model", s->model, "model file (.tdm)")->required();
    s->app->add_option(
        "--processor", s->processor,
        "also compile on this processor and list nodes that fall back to reference kernels");
  };
  c.selected = [s] { return s->app && s->app->parsed(); };
  c.run = [s]() -> int {
    auto file = read_model_file(s->model);
    if (!file.ok()) return fail(file.status());
    const Graph& g = file->graph;
    std::cout << "model: " << s->model << "\n";
    std::cout << "producer: " << g.metadata.producer << " " << g.metadata.producer_version
              << (g.metadata.source_hash.empty() ? "" : "  source hash: " + g.metadata.source_hash)
              << "\n";
    if (!g.metadata.input_shapes.empty())
      std::cout << "specialised: " << g.metadata.input_shapes << " (--input-shape)\n";
    for (int id : g.inputs)
      std::cout << "input:  " << g.tensor(id).name << " " << shape_to_string(g.tensor(id).shape)
                << " " << dtype_name(g.tensor(id).dtype) << "\n";
    for (int id : g.outputs)
      std::cout << "output: " << g.tensor(id).name << " " << shape_to_string(g.tensor(id).shape)
                << " " << dtype_name(g.tensor(id).dtype) << "\n";
    std::map<std::string, int> by_type;
    for (const Node& n : g.nodes) by_type[std::string(op_name(n.op))]++;
    std::cout << "nodes: " << g.nodes.size() << "\n";
    for (const auto& [op, count] : by_type) std::cout << "  " << op << ": " << count << "\n";
    std::cout << "parameters: " << human_count(double(graph_parameters(g))) << " ("
              << graph_parameters(g) << ")\n";
    std::cout << "MACs: " << human_count(double(graph_macs(g))) << " (" << graph_macs(g) << ")\n";
    if (file->plan) {
      std::cout << "stored plan (" << file->plan->objective << ", predicted "
                << file->plan->predicted_fps << " FPS):\n";
      for (const auto& st : file->plan->stages)
        std::cout << "  " << st.processor << ": nodes " << st.first_node << ".." << st.last_node - 1
                  << (st.replicas > 1 ? " x" + std::to_string(st.replicas) : "") << "\n";
    }
    if (!s->processor.empty()) {
      auto proc = create_processor(s->processor);
      if (!proc.ok()) return fail(proc.status());
      auto exe = (*proc)->compile(g, 0, static_cast<int>(g.nodes.size()));
      if (!exe.ok()) return fail(exe.status());
      auto fb = (*exe)->fallback_nodes();
      // Which ISA and which kernels (a cpu processor's description names its isa).
      std::cout << "processor: " << (*proc)->spec() << " (" << (*proc)->description() << ")\n";
      std::map<std::string, int> kinds;
      for (const std::string& k : (*exe)->kernel_kinds())
        if (!k.empty()) kinds[k]++;
      if (!kinds.empty()) {
        std::cout << "kernels:";
        for (const auto& [k, n] : kinds) std::cout << " " << k << " x" << n;
        std::cout << "\n";
      }
      std::cout << "fallback nodes on " << (*proc)->spec() << ": " << fb.size() << "\n";
      for (const auto& name : fb) std::cout << "  " << name << "\n";
    }
    return 0;
  };
  return c;
}

}  // namespace tandem::cli
