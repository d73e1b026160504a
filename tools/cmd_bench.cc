// tandem bench MODEL.tdm --processor SPEC [--runs R] [--warmup W] [--json] [--per-op]
//   or --processors A,B --plan auto|FILE [--frames N] [--compare] [--trace out.json]
// Median latency, FPS, GFLOP/s and % of the measured FMA peak of one model
// on one processor. With --json the last stdout line is one JSON object.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>

#include "api/default_registry.h"
#include "tools/bench_pipeline_cli.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/reports.h"
#include "tools/support/fma_peak.h"

namespace tandem::cli {
namespace {

double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) * 1e-6;
}

// The FMA level of the peak to compare a processor with: that of a cpu spec's
// isa= (auto, generic and other processors: the best this CPU has).
std::string peak_isa(const std::string& spec) {
  Expected<ProcessorSpec> ps = parse_processor_spec(spec);
  if (ps.ok() && ps->kind == "cpu")
    for (const auto& [key, value] : ps->options) {
      if (key != "isa") continue;
      if (value == "avx512") return "avx512f";
      if (value == "avx2") return "avx2+fma";
    }
  return fma_peak_isa();
}

// "gemm_avx2 x12, xnnpack x30": how many nodes each kernel kind ran.
std::string kind_counts(const std::vector<std::string>& kinds) {
  std::map<std::string, int> n;
  for (const std::string& k : kinds)
    if (!k.empty()) ++n[k];
  std::string s;
  for (const auto& [k, c] : n) s += (s.empty() ? "" : ", ") + k + " x" + std::to_string(c);
  return s.empty() ? "-" : s;
}

// Median of each node's time over `runs` runs (RunOptions::node_ms), with op,
// MACs and kernel: the --per-op "nodes" list.
Expected<nlohmann::json> per_node_times(const BenchArgs& a, const Graph& g, Executor& exe,
                                        const std::vector<const float*>& in,
                                        const std::vector<float*>& out,
                                        const std::vector<std::string>& kinds) {
  std::vector<std::vector<double>> node_runs(g.nodes.size());
  for (int i = 0; i < a.runs; ++i) {
    std::vector<double> node_ms;
    RunOptions opt;
    opt.node_ms = &node_ms;
    Status st = exe.run_raw(in.data(), out.data(), opt);
    if (!st.ok()) return st.with_context(a.model);
    for (size_t k = 0; k < node_ms.size() && k < node_runs.size(); ++k)
      node_runs[k].push_back(node_ms[k]);
  }
  nlohmann::json nodes = nlohmann::json::array();
  for (size_t k = 0; k < node_runs.size(); ++k) {
    auto& v = node_runs[k];
    if (v.empty()) continue;
    std::sort(v.begin(), v.end());
    nodes.push_back({{"name", g.nodes[k].name},
                     {"op", std::string(op_name(g.nodes[k].op))},
                     {"ms", v[v.size() / 2]},
                     {"macs", node_macs(g, g.nodes[k])},
                     {"kernel", k < kinds.size() ? kinds[k] : std::string()}});
  }
  return nodes;
}

// Time per op type and the ten slowest nodes, from per_node_times().
std::string per_op_text(const nlohmann::json& nodes) {
  std::string t;
  std::map<std::string, std::pair<double, double>> by_op;  // ms, MACs
  std::vector<std::pair<double, size_t>> slowest;
  for (size_t k = 0; k < nodes.size(); ++k) {
    auto& o = by_op[nodes[k]["op"].get<std::string>()];
    o.first += nodes[k]["ms"].get<double>();
    o.second += nodes[k]["macs"].get<double>();
    slowest.push_back({nodes[k]["ms"].get<double>(), k});
  }
  auto rate = [](double macs, double ms) { return ms > 0 ? 2 * macs / (ms * 1e-3) / 1e9 : 0.0; };
  appendf(t, "per op      (median per node, summed)\n");
  for (const auto& [op, v] : by_op)
    appendf(t, "  %-20s %8.3f ms  %6.1f GFLOP/s\n", op.c_str(), v.first, rate(v.second, v.first));
  std::sort(slowest.rbegin(), slowest.rend());
  appendf(t, "slowest nodes\n");
  for (size_t k = 0; k < slowest.size() && k < 10; ++k) {
    const nlohmann::json& nd = nodes[slowest[k].second];
    appendf(t, "  %-32s %-12s %8.3f ms  %6.1f GFLOP/s  %s\n", nd["name"].get<std::string>().c_str(),
            nd["op"].get<std::string>().c_str(), slowest[k].first,
            rate(nd["macs"].get<double>(), slowest[k].first),
            nd["kernel"].get<std::string>().c_str());
  }
  return t;
}

// The % of the peak of the ISA the processor runs at; never above 100: a rate
// above the peak means the peak was measured on a busy core, so it is measured
// again, and if the rate is still above it the percentage is clamped (and says so).
void add_peak(nlohmann::json& j, const Processor& p) {
  const std::string isa = peak_isa(p.spec());
  const int cores = std::max(1, p.threads());
  const double gflops = j["gflops"].get<double>();
  double peak = fma_peak_gflops(isa) * cores;
  double pct = peak > 0 ? 100.0 * gflops / peak : 0;
  std::string note;
  if (pct > 100) {
    peak = fma_peak_remeasure(isa) * cores;
    pct = peak > 0 ? 100.0 * gflops / peak : 0;
    note = ", peak re-measured";
    if (pct > 100) pct = 100, note = ", clamped: peak measured on a busy core";
  }
  j["peak_gflops"] = peak;
  j["peak_pct"] = pct;
  j["peak_isa"] = isa;
  j["peak_note"] = note;
}

// Median wall time per run, and CPU time of the whole process per run (all
// threads, spinning included): on a busy machine the latter still measures the work.
Status time_runs(const BenchArgs& a, Executor& exe, const std::vector<const float*>& in,
                 const std::vector<float*>& out, nlohmann::json& j) {
  for (int i = 0; i < a.warmup; ++i) TANDEM_RETURN_IF_ERROR(exe.run_raw(in.data(), out.data()));
  std::vector<double> ms, cpu_ms;
  for (int i = 0; i < a.runs; ++i) {
    double c0 = process_cpu_ms();
    auto t0 = std::chrono::steady_clock::now();
    TANDEM_RETURN_IF_ERROR(exe.run_raw(in.data(), out.data()));
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    cpu_ms.push_back(process_cpu_ms() - c0);
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  std::sort(cpu_ms.begin(), cpu_ms.end());
  const size_t n = sorted.size();
  const double median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  j["latency_ms"] = median;
  j["latency_min_ms"] = sorted.front();
  j["latency_max_ms"] = sorted.back();
  j["latencies_ms"] = ms;
  j["fps"] = 1000.0 / median;
  j["cpu_ms"] = cpu_ms[cpu_ms.size() / 2];
  return Status();
}

std::string bench_text(const nlohmann::json& j, const std::string& description) {
  auto str = [&](const char* k) { return j[k].get<std::string>(); };
  auto num = [&](const char* k) { return j[k].get<double>(); };
  std::string t;
  appendf(t, "model       %s (%s MAC)\n", str("model").c_str(), human_count(num("macs")).c_str());
  appendf(t, "processor   %s (%s)\n", str("processor").c_str(), description.c_str());
  appendf(t, "compile     %.1f ms\n", num("compile_ms"));
  appendf(t, "latency     median %.3f ms, min %.3f, max %.3f (%d runs, %d warmup)\n",
          num("latency_ms"), num("latency_min_ms"), num("latency_max_ms"), j["runs"].get<int>(),
          j["warmup"].get<int>());
  appendf(t, "throughput  %.2f FPS, %.1f GFLOP/s = %.1f%% of %.1f GFLOP/s peak (%d x %s core%s)\n",
          num("fps"), num("gflops"), num("peak_pct"), num("peak_gflops"),
          std::max(1, j["threads"].get<int>()), str("peak_isa").c_str(), str("peak_note").c_str());
  appendf(t, "kernels     %s\n", str("kernels").c_str());
  appendf(t, "cpu time    median %.3f ms per run (process CPU time, all threads)\n", num("cpu_ms"));
  const auto& fallbacks = j["fallback_nodes"];
  if (!fallbacks.empty()) {
    appendf(t, "fallback    %zu node(s) on reference kernels:", fallbacks.size());
    for (const auto& f : fallbacks) appendf(t, " %s", f.get<std::string>().c_str());
    appendf(t, "\n");
  }
  if (j.contains("nodes")) t += per_op_text(j["nodes"]);
  return t;
}

}  // namespace

Expected<Report> bench_report(const BenchArgs& a) {
  TANDEM_ASSIGN_OR_RETURN(ModelFile file, read_model_file(a.model));
  const Graph& g = file.graph;
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Processor> proc, create_processor(a.processor));
  Processor& p = *proc;
  // The measuring thread is the stage thread: pin it like the pipeline would.
  TANDEM_RETURN_IF_ERROR(p.bind_current_thread());
  auto compile_t0 = std::chrono::steady_clock::now();
  auto exe = Executor::create(g, p);
  if (!exe.ok()) return exe.status().with_context(a.model);
  const double compile_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - compile_t0)
          .count();
  std::vector<HostTensor> inputs = synthetic_inputs(g);
  std::vector<const float*> in;
  for (const HostTensor& t : inputs) in.push_back(t.data.data());
  std::vector<std::vector<float>> outputs;
  std::vector<float*> out;
  for (int t : g.outputs) outputs.emplace_back(size_t(shape_elements(g.tensor(t).shape)));
  for (auto& o : outputs) out.push_back(o.data());

  nlohmann::json j;
  j["model"] = a.model;
  j["processor"] = p.spec();
  j["threads"] = p.threads();
  j["runs"] = a.runs;
  j["warmup"] = a.warmup;
  Status st = time_runs(a, **exe, in, out, j);
  if (!st.ok()) return st.with_context(a.model);
  const double macs = static_cast<double>(graph_macs(g));
  j["macs"] = macs;
  j["gflops"] = 2.0 * macs / (j["latency_ms"].get<double>() * 1e-3) / 1e9;
  add_peak(j, p);
  const std::vector<std::string> kinds = (*exe)->executable().kernel_kinds();
  j["kernels"] = kind_counts(kinds);
  j["compile_ms"] = compile_ms;
  j["fallback_nodes"] = (*exe)->executable().fallback_nodes();
  if (a.per_op) {
    TANDEM_ASSIGN_OR_RETURN(j["nodes"], per_node_times(a, g, **exe, in, out, kinds));
  }
  Report r;
  r.text = bench_text(j, p.description());
  r.json = std::move(j);
  return r;
}

Command make_bench_command() {
  struct State {
    CLI::App* app = nullptr;
    std::string model;
    BenchArgs bench;
    bool json = false;
    PipelineBenchArgs pipe;
  };
  auto s = std::make_shared<State>();
  Command c;
  c.add = [s](CLI::App& app) {
    s->app =
        app.add_subcommand("bench", "Measure latency and throughput of a model on a processor");
    s->app->add_option("model", s->model, "model file (.tdm)")->required();
    s->app
        ->add_option("--processor,-p", s->bench.processor,
                     "processor spec (cpu, cpu:threads=1, ...)")
        ->capture_default_str();
    s->app->add_option("--runs,-r", s->bench.runs, "timed runs")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    s->app->add_option("--warmup,-w", s->bench.warmup, "untimed runs first")
        ->capture_default_str()
        ->check(CLI::Range(0, 1000000));
    s->app->add_flag("--json", s->json, "print one JSON object as the last line");
    // Pipelined mode.
    s->app->add_option("--processors", s->pipe.processors,
                       "pipeline across these processors (cpu:cores=0,cpu:cores=1, ...)");
    s->app->add_option("--plan", s->pipe.plan, "auto (stored or new), new, or a plan JSON file")
        ->capture_default_str();
    s->app->add_option("--profile", s->pipe.profile, "plan from this cost table file");
    s->app->add_option("--frames,-f", s->pipe.frames, "frames streamed per round")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000000));
    s->app->add_flag("--compare", s->pipe.compare,
                     "also run the best single-processor configuration (--baseline) interleaved");
    s->app
        ->add_option("--baseline", s->pipe.baseline, "single-processor configuration for --compare")
        ->capture_default_str();
    s->app->add_option("--rounds", s->pipe.rounds, "interleaved rounds with --compare")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    s->app->add_option("--trace", s->pipe.trace, "write a Chrome/Perfetto trace of the last round");
    s->app->add_flag("--per-op", s->bench.per_op,
                     "also print time per op type and the slowest nodes (with their kernels); with "
                     "--json, every node's median time and kernel");
  };
  c.selected = [s] { return s->app && s->app->parsed(); };
  c.run = [s]() -> int {
    s->pipe.model = s->bench.model = s->model;
    auto r = s->pipe.processors.empty() ? bench_report(s->bench) : pipeline_bench_report(s->pipe);
    if (!r.ok()) return fail(r.status());
    std::cout << r->text;
    if (s->json) std::cout << r->json.dump() << std::endl;
    return 0;
  };
  return c;
}

}  // namespace tandem::cli
