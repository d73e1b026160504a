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

#include "engine/fma_peak.h"
#include "engine/processor_registry.h"
#include "tools/bench_pipeline_cli.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

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

}  // namespace

Command make_bench_command() {
  struct State {
    CLI::App* app = nullptr;
    std::string model;
    std::string processor = "cpu";
    int runs = 10;
    int warmup = 2;
    bool json = false;
    PipelineBenchArgs pipe;
    bool per_op = false;
  };
  auto s = std::make_shared<State>();
  Command c;
  c.add = [s](CLI::App& app) {
    s->app =
        app.add_subcommand("bench", "Measure latency and throughput of a model on a processor");
    s->app->add_option("model", s->model, "model file (.tdm)")->required();
    s->app->add_option("--processor,-p", s->processor, "processor spec (cpu, cpu:threads=1, ...)")
        ->capture_default_str();
    s->app->add_option("--runs,-r", s->runs, "timed runs")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    s->app->add_option("--warmup,-w", s->warmup, "untimed runs first")
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
    s->app->add_flag("--per-op", s->per_op,
                     "also print time per op type and the slowest nodes (with their kernels); with "
                     "--json, every node's median time and kernel");
  };
  c.selected = [s] { return s->app && s->app->parsed(); };
  c.run = [s]() -> int {
    if (!s->pipe.processors.empty()) {
      s->pipe.model = s->model;
      s->pipe.json = s->json;
      return run_pipeline_bench(s->pipe);
    }
    auto file = read_model_file(s->model);
    if (!file.ok()) return fail(file.status());
    const Graph& g = file->graph;
    auto proc = create_processor(s->processor);
    if (!proc.ok()) return fail(proc.status());
    Processor& p = **proc;
    // The measuring thread is the stage thread: pin it like the pipeline would.
    Status bound = p.bind_current_thread();
    if (!bound.ok()) return fail(bound);
    auto compile_t0 = std::chrono::steady_clock::now();
    auto exe = Executor::create(g, p);
    if (!exe.ok()) return fail(exe.status().with_context(s->model));
    double compile_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - compile_t0)
            .count();
    std::vector<HostTensor> inputs = synthetic_inputs(g);
    std::vector<const float*> in;
    for (const HostTensor& t : inputs) in.push_back(t.data.data());
    std::vector<std::vector<float>> outputs;
    std::vector<float*> out;
    for (int t : g.outputs) outputs.emplace_back(size_t(shape_elements(g.tensor(t).shape)));
    for (auto& o : outputs) out.push_back(o.data());
    for (int i = 0; i < s->warmup; ++i) {
      Status st = (*exe)->run_raw(in.data(), out.data());
      if (!st.ok()) return fail(st.with_context(s->model));
    }
    // Wall time per run, and CPU time of the whole process per run (all threads,
    // spinning included): on a busy machine the latter still measures the work.
    std::vector<double> ms, cpu_ms;
    for (int i = 0; i < s->runs; ++i) {
      double c0 = process_cpu_ms();
      auto t0 = std::chrono::steady_clock::now();
      Status st = (*exe)->run_raw(in.data(), out.data());
      if (!st.ok()) return fail(st.with_context(s->model));
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      cpu_ms.push_back(process_cpu_ms() - c0);
    }
    std::vector<double> cpu_sorted = cpu_ms;
    std::sort(cpu_sorted.begin(), cpu_sorted.end());
    double cpu_median = cpu_sorted[cpu_sorted.size() / 2];
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    size_t n = sorted.size();
    double median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    double fps = 1000.0 / median;
    double macs = static_cast<double>(graph_macs(g));
    double gflops = 2.0 * macs / (median * 1e-3) / 1e9;
    // % of the peak of the ISA the processor runs at; never above 100: a rate above
    // the peak means the peak was measured on a busy core, so it is measured again,
    // and if the rate is still above it the percentage is clamped (and says so).
    const std::string isa = peak_isa(p.spec());
    const int cores = std::max(1, p.threads());
    double peak = fma_peak_gflops(isa) * cores;
    double pct = peak > 0 ? 100.0 * gflops / peak : 0;
    const char* peak_note = "";
    if (pct > 100) {
      peak = fma_peak_remeasure(isa) * cores;
      pct = peak > 0 ? 100.0 * gflops / peak : 0;
      peak_note = ", peak re-measured";
      if (pct > 100) pct = 100, peak_note = ", clamped: peak measured on a busy core";
    }
    std::vector<std::string> fallbacks = (*exe)->executable().fallback_nodes();
    const std::vector<std::string> kinds = (*exe)->executable().kernel_kinds();
    auto kind_of = [&](size_t node) { return node < kinds.size() ? kinds[node] : std::string(); };

    std::printf("model       %s (%s MAC)\n", s->model.c_str(), human_count(macs).c_str());
    std::printf("processor   %s (%s)\n", p.spec().c_str(), p.description().c_str());
    std::printf("compile     %.1f ms\n", compile_ms);
    std::printf("latency     median %.3f ms, min %.3f, max %.3f (%d runs, %d warmup)\n", median,
                sorted.front(), sorted.back(), s->runs, s->warmup);
    std::printf(
        "throughput  %.2f FPS, %.1f GFLOP/s = %.1f%% of %.1f GFLOP/s peak (%d x %s core%s)\n", fps,
        gflops, pct, peak, cores, isa.c_str(), peak_note);
    std::printf("kernels     %s\n", kind_counts(kinds).c_str());
    std::printf("cpu time    median %.3f ms per run (process CPU time, all threads)\n", cpu_median);
    if (!fallbacks.empty()) {
      std::printf("fallback    %zu node(s) on reference kernels:", fallbacks.size());
      for (const std::string& f : fallbacks) std::printf(" %s", f.c_str());
      std::printf("\n");
    }
    nlohmann::json per_node = nlohmann::json::array();
    if (s->per_op) {
      // Median over the runs of each node's time (RunOptions::node_ms).
      std::vector<std::vector<double>> node_runs(g.nodes.size());
      for (int i = 0; i < s->runs; ++i) {
        std::vector<double> node_ms;
        RunOptions opt;
        opt.node_ms = &node_ms;
        Status st = (*exe)->run_raw(in.data(), out.data(), opt);
        if (!st.ok()) return fail(st.with_context(s->model));
        for (size_t k = 0; k < node_ms.size() && k < node_runs.size(); ++k)
          node_runs[k].push_back(node_ms[k]);
      }
      std::vector<std::pair<double, size_t>> node_median;
      std::map<std::string, std::pair<double, double>> by_op;  // ms, MACs
      for (size_t k = 0; k < node_runs.size(); ++k) {
        auto& v = node_runs[k];
        if (v.empty()) continue;
        std::sort(v.begin(), v.end());
        double med = v[v.size() / 2];
        node_median.push_back({med, k});
        auto& o = by_op[std::string(op_name(g.nodes[k].op))];
        o.first += med;
        o.second += double(node_macs(g, g.nodes[k]));
        per_node.push_back({{"name", g.nodes[k].name},
                            {"op", std::string(op_name(g.nodes[k].op))},
                            {"ms", med},
                            {"macs", node_macs(g, g.nodes[k])},
                            {"kernel", kind_of(k)}});
      }
      std::printf("per op      (median per node, summed)\n");
      for (const auto& [op, v] : by_op)
        std::printf("  %-20s %8.3f ms  %6.1f GFLOP/s\n", op.c_str(), v.first,
                    v.first > 0 ? 2 * v.second / (v.first * 1e-3) / 1e9 : 0.0);
      std::sort(node_median.rbegin(), node_median.rend());
      std::printf("slowest nodes\n");
      for (size_t k = 0; k < node_median.size() && k < 10; ++k) {
        const Node& nd = g.nodes[node_median[k].second];
        double macs_k = double(node_macs(g, nd));
        std::printf("  %-32s %-12s %8.3f ms  %6.1f GFLOP/s  %s\n", nd.name.c_str(),
                    std::string(op_name(nd.op)).c_str(), node_median[k].first,
                    2 * macs_k / (node_median[k].first * 1e-3) / 1e9,
                    kind_of(node_median[k].second).c_str());
      }
    }
    if (s->json) {
      nlohmann::json j;
      j["model"] = s->model;
      j["processor"] = p.spec();
      j["threads"] = p.threads();
      j["runs"] = s->runs;
      j["warmup"] = s->warmup;
      j["latency_ms"] = median;
      j["latency_min_ms"] = sorted.front();
      j["latency_max_ms"] = sorted.back();
      j["latencies_ms"] = ms;
      j["fps"] = fps;
      j["cpu_ms"] = cpu_median;
      if (s->per_op) j["nodes"] = per_node;
      j["macs"] = macs;
      j["gflops"] = gflops;
      j["peak_gflops"] = peak;
      j["peak_pct"] = pct;
      j["peak_isa"] = isa;
      j["kernels"] = kind_counts(kinds);
      j["compile_ms"] = compile_ms;
      j["fallback_nodes"] = fallbacks;
      std::cout << j.dump() << std::endl;
    }
    return 0;
  };
  return c;
}

}  // namespace tandem::cli
