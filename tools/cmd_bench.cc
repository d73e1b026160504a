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

struct BenchArgs {
  CLI::App* app = nullptr;
  std::string model;
  std::string processor = "cpu";
  int runs = 10;
  int warmup = 2;
  bool json = false;
  PipelineBenchArgs pipe;
  bool per_op = false;
};

void add_single_options(CLI::App& app, BenchArgs& s) {
  app.add_option("model", s.model, "model file (.tdm)")->required();
  app.add_option("--processor,-p", s.processor, "processor spec (cpu, cpu:threads=1, ...)")
      ->capture_default_str();
  app.add_option("--runs,-r", s.runs, "timed runs")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--warmup,-w", s.warmup, "untimed runs first")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  app.add_flag("--json", s.json, "print one JSON object as the last line");
}

void add_pipeline_options(CLI::App& app, PipelineBenchArgs& pipe) {
  app.add_option("--processors", pipe.processors,
                 "pipeline across these processors (cpu:cores=0,cpu:cores=1, ...)");
  app.add_option("--plan", pipe.plan, "auto (stored or new), new, or a plan JSON file")
      ->capture_default_str();
  app.add_option("--profile", pipe.profile, "plan from this cost table file");
  app.add_option("--frames,-f", pipe.frames, "frames streamed per round")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  app.add_flag("--compare", pipe.compare,
               "also run the best single-processor configuration (--baseline) interleaved");
  app.add_option("--baseline", pipe.baseline, "single-processor configuration for --compare")
      ->capture_default_str();
  app.add_option("--rounds", pipe.rounds, "interleaved rounds with --compare")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--trace", pipe.trace, "write a Chrome/Perfetto trace of the last round");
}

// Synthetic inputs and output buffers for Executor::run_raw.
struct BenchIo {
  std::vector<HostTensor> inputs;
  std::vector<std::vector<float>> outputs;
  std::vector<const float*> in;
  std::vector<float*> out;

  explicit BenchIo(const Graph& g) : inputs(synthetic_inputs(g)) {
    for (const HostTensor& t : inputs) in.push_back(t.data.data());
    for (int t : g.outputs) outputs.emplace_back(size_t(shape_elements(g.tensor(t).shape)));
    for (auto& o : outputs) out.push_back(o.data());
  }
};

// Wall time per run, and CPU time of the whole process per run (all threads,
// spinning included): on a busy machine the latter still measures the work.
struct Timings {
  std::vector<double> ms, sorted;
  double median = 0, cpu_median = 0;
};

Expected<Timings> time_runs(Executor& exe, BenchIo& io, const BenchArgs& s) {
  for (int i = 0; i < s.warmup; ++i) {
    Status st = exe.run_raw(io.in.data(), io.out.data());
    if (!st.ok()) return st.with_context(s.model);
  }
  Timings t;
  std::vector<double> cpu_ms;
  for (int i = 0; i < s.runs; ++i) {
    double c0 = process_cpu_ms();
    auto t0 = std::chrono::steady_clock::now();
    Status st = exe.run_raw(io.in.data(), io.out.data());
    if (!st.ok()) return st.with_context(s.model);
    t.ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    cpu_ms.push_back(process_cpu_ms() - c0);
  }
  std::sort(cpu_ms.begin(), cpu_ms.end());
  t.cpu_median = cpu_ms[cpu_ms.size() / 2];
  t.sorted = t.ms;
  std::sort(t.sorted.begin(), t.sorted.end());
  const size_t n = t.sorted.size();
  t.median = n % 2 ? t.sorted[n / 2] : 0.5 * (t.sorted[n / 2 - 1] + t.sorted[n / 2]);
  return t;
}

// The achieved rate against the FMA peak of the ISA the processor runs at;
// never above 100%: a rate above the peak means the peak was measured on a
// busy core, so it is measured again, and if the rate is still above it the
// percentage is clamped (and says so).
struct PeakRate {
  std::string isa;
  int cores = 1;
  double peak = 0, pct = 0;
  const char* note = "";
};

PeakRate peak_rate(const Processor& p, double gflops) {
  PeakRate r;
  r.isa = peak_isa(p.spec());
  r.cores = std::max(1, p.threads());
  r.peak = fma_peak_gflops(r.isa) * r.cores;
  r.pct = r.peak > 0 ? 100.0 * gflops / r.peak : 0;
  if (r.pct > 100) {
    r.peak = fma_peak_remeasure(r.isa) * r.cores;
    r.pct = r.peak > 0 ? 100.0 * gflops / r.peak : 0;
    r.note = ", peak re-measured";
    if (r.pct > 100) r.pct = 100, r.note = ", clamped: peak measured on a busy core";
  }
  return r;
}

// Median over `runs` runs of each node's time (RunOptions::node_ms); empty
// entries for nodes that reported none.
Expected<std::vector<std::vector<double>>> node_times(Executor& exe, BenchIo& io, const Graph& g,
                                                      const BenchArgs& s) {
  std::vector<std::vector<double>> node_runs(g.nodes.size());
  for (int i = 0; i < s.runs; ++i) {
    std::vector<double> node_ms;
    RunOptions opt;
    opt.node_ms = &node_ms;
    Status st = exe.run_raw(io.in.data(), io.out.data(), opt);
    if (!st.ok()) return st.with_context(s.model);
    for (size_t k = 0; k < node_ms.size() && k < node_runs.size(); ++k)
      node_runs[k].push_back(node_ms[k]);
  }
  return node_runs;
}

// Prints time per op type and the ten slowest nodes; returns every node's
// median time and kernel as JSON.
nlohmann::json report_per_op(const Graph& g, std::vector<std::vector<double>> node_runs,
                             const std::vector<std::string>& kinds) {
  auto kind_of = [&](size_t node) { return node < kinds.size() ? kinds[node] : std::string(); };
  nlohmann::json per_node = nlohmann::json::array();
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
  return per_node;
}

// What one single-processor bench measured, for the text and JSON reports.
struct BenchResult {
  double compile_ms = 0, macs = 0, fps = 0, gflops = 0;
  Timings timings;
  PeakRate rate;
  std::vector<std::string> fallbacks, kinds;
  nlohmann::json per_node = nlohmann::json::array();
};

void print_summary(const BenchArgs& s, const Processor& p, const BenchResult& r) {
  const Timings& t = r.timings;
  std::printf("model       %s (%s MAC)\n", s.model.c_str(), human_count(r.macs).c_str());
  std::printf("processor   %s (%s)\n", p.spec().c_str(), p.description().c_str());
  std::printf("compile     %.1f ms\n", r.compile_ms);
  std::printf("latency     median %.3f ms, min %.3f, max %.3f (%d runs, %d warmup)\n", t.median,
              t.sorted.front(), t.sorted.back(), s.runs, s.warmup);
  std::printf("throughput  %.2f FPS, %.1f GFLOP/s = %.1f%% of %.1f GFLOP/s peak (%d x %s core%s)\n",
              r.fps, r.gflops, r.rate.pct, r.rate.peak, r.rate.cores, r.rate.isa.c_str(),
              r.rate.note);
  std::printf("kernels     %s\n", kind_counts(r.kinds).c_str());
  std::printf("cpu time    median %.3f ms per run (process CPU time, all threads)\n", t.cpu_median);
  if (!r.fallbacks.empty()) {
    std::printf("fallback    %zu node(s) on reference kernels:", r.fallbacks.size());
    for (const std::string& f : r.fallbacks) std::printf(" %s", f.c_str());
    std::printf("\n");
  }
}

void print_json(const BenchArgs& s, const Processor& p, const BenchResult& r) {
  const Timings& t = r.timings;
  nlohmann::json j;
  j["model"] = s.model;
  j["processor"] = p.spec();
  j["threads"] = p.threads();
  j["runs"] = s.runs;
  j["warmup"] = s.warmup;
  j["latency_ms"] = t.median;
  j["latency_min_ms"] = t.sorted.front();
  j["latency_max_ms"] = t.sorted.back();
  j["latencies_ms"] = t.ms;
  j["fps"] = r.fps;
  j["cpu_ms"] = t.cpu_median;
  if (s.per_op) j["nodes"] = r.per_node;
  j["macs"] = r.macs;
  j["gflops"] = r.gflops;
  j["peak_gflops"] = r.rate.peak;
  j["peak_pct"] = r.rate.pct;
  j["peak_isa"] = r.rate.isa;
  j["kernels"] = kind_counts(r.kinds);
  j["compile_ms"] = r.compile_ms;
  j["fallback_nodes"] = r.fallbacks;
  std::cout << j.dump() << std::endl;
}

// One model on one processor: compile, time, report.
int run_single_bench(const BenchArgs& s) {
  auto file = read_model_file(s.model);
  if (!file.ok()) return fail(file.status());
  const Graph& g = file->graph;
  auto proc = create_processor(s.processor);
  if (!proc.ok()) return fail(proc.status());
  Processor& p = **proc;
  // The measuring thread is the stage thread: pin it like the pipeline would.
  Status bound = p.bind_current_thread();
  if (!bound.ok()) return fail(bound);
  BenchResult r;
  auto compile_t0 = std::chrono::steady_clock::now();
  auto exe = Executor::create(g, p);
  if (!exe.ok()) return fail(exe.status().with_context(s.model));
  r.compile_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - compile_t0)
          .count();
  BenchIo io(g);
  auto timings = time_runs(**exe, io, s);
  if (!timings.ok()) return fail(timings.status());
  r.timings = std::move(timings).value();
  r.fps = 1000.0 / r.timings.median;
  r.macs = static_cast<double>(graph_macs(g));
  r.gflops = 2.0 * r.macs / (r.timings.median * 1e-3) / 1e9;
  r.rate = peak_rate(p, r.gflops);
  r.fallbacks = (*exe)->executable().fallback_nodes();
  r.kinds = (*exe)->executable().kernel_kinds();
  print_summary(s, p, r);
  if (s.per_op) {
    auto runs = node_times(**exe, io, g, s);
    if (!runs.ok()) return fail(runs.status());
    r.per_node = report_per_op(g, std::move(runs).value(), r.kinds);
  }
  if (s.json) print_json(s, p, r);
  return 0;
}

}  // namespace

Command make_bench_command() {
  auto s = std::make_shared<BenchArgs>();
  Command c;
  c.add = [s](CLI::App& app) {
    s->app =
        app.add_subcommand("bench", "Measure latency and throughput of a model on a processor");
    add_single_options(*s->app, *s);
    add_pipeline_options(*s->app, s->pipe);
    s->app->add_flag("--per-op", s->per_op,
                     "also print time per op type and the slowest nodes (with their kernels); with "
                     "--json, every node's median time and kernel");
  };
  c.selected = [s] { return s->app && s->app->parsed(); };
  c.run = [s]() -> int {
    if (s->pipe.processors.empty()) return run_single_bench(*s);
    s->pipe.model = s->model;
    s->pipe.json = s->json;
    return run_pipeline_bench(s->pipe);
  };
  return c;
}

}  // namespace tandem::cli
