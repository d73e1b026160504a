#include "scheduler/profiler.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "graph/hash.h"
#include "scheduler/profile_cache.h"
#include "scheduler/transfer_bench.h"

namespace tandem {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// A processor's supported node runs, compiled, with their boundary buffers.
struct CompiledRange {
  int first = 0, last = 0;
  std::unique_ptr<Executable> exe;
  std::vector<std::vector<float>> in, out;
  std::vector<const float*> in_ptrs;
  std::vector<float*> out_ptrs;
  std::vector<double> node_ms;
};

struct CompiledModel {
  std::vector<CompiledRange> ranges;

  // Runs every range in order; with `per_node` (size N) records node times.
  Status run(std::vector<double>* per_node) {
    for (auto& r : ranges) {
      RunOptions opts;
      if (per_node) opts.node_ms = &r.node_ms;
      r.node_ms.clear();
      TANDEM_RETURN_IF_ERROR(r.exe->run(r.in_ptrs.data(), r.out_ptrs.data(), opts));
      if (per_node)
        for (int n = r.first; n < r.last; ++n) {
          const size_t k = size_t(n - r.first);
          (*per_node)[size_t(n)] = k < r.node_ms.size() ? r.node_ms[k] : NAN;
        }
    }
    return Status();
  }
};

Expected<std::vector<float>> buffer_for(const Graph& g, int t) {
  const int64_t n = shape_elements(g.tensor(t).shape);
  if (n < 0) return invalid_argument("tensor '" + g.tensor(t).name + "' has no known shape");
  std::vector<float> v(static_cast<size_t>(n));
  // Small deterministic non-zero values: no denormals, no overflow.
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.01f * float(int(i % 97) - 48);
  return v;
}

// Compiles the maximal runs of supported nodes; a run that fails to compile is
// reported through `warn` and left out (its nodes get roofline estimates).
CompiledModel compile_supported(const Graph& g, Processor* p, const std::vector<bool>& supported,
                                const std::function<void(const std::string&)>& warn) {
  CompiledModel m;
  const int N = int(g.nodes.size());
  for (int a = 0; a < N;) {
    if (!supported[size_t(a)]) {
      ++a;
      continue;
    }
    int b = a;
    while (b < N && supported[size_t(b)]) ++b;
    CompiledRange r;
    r.first = a;
    r.last = b;
    auto exe = p->compile(g, a, b);
    bool ok = exe.ok();
    std::string why = ok ? "" : exe.status().to_string();
    if (ok) {
      r.exe = std::move(exe).value();
      for (int t : r.exe->io().inputs) {
        auto buf = buffer_for(g, t);
        if (!buf.ok()) {
          ok = false;
          why = buf.status().to_string();
          break;
        }
        r.in.push_back(std::move(buf).value());
      }
      for (int t : r.exe->io().outputs) {
        if (!ok) break;
        auto buf = buffer_for(g, t);
        if (!buf.ok()) {
          ok = false;
          why = buf.status().to_string();
          break;
        }
        r.out.push_back(std::move(buf).value());
      }
    }
    if (!ok) {
      if (warn)
        warn("profile: nodes [" + std::to_string(a) + ", " + std::to_string(b) + ") on '" +
             p->spec() + "' did not compile (" + why + "); using roofline estimates");
    } else {
      for (auto& v : r.in) r.in_ptrs.push_back(v.data());
      for (auto& v : r.out) r.out_ptrs.push_back(v.data());
      m.ranges.push_back(std::move(r));
    }
    a = b;
  }
  return m;
}

// Runs `f` on a new thread bound to `p`'s cores, so the caller's affinity is untouched.
Status on_processor(Processor* p, const std::function<Status()>& f) {
  Status st;
  std::thread th([&] {
    st = p->bind_current_thread();
    if (st.ok()) st = f();
  });
  th.join();
  return st;
}

// Keeps other processors busy with their own models, switchable on and off:
// set_running(true) returns once every worker has started a run, (false)
// once every worker is idle. A worker that fails stops and reports in finish().
class BackgroundLoad {
 public:
  ~BackgroundLoad() { (void)finish(); }
  void add(Processor* p, CompiledModel* m) {
    size_t i;
    {
      std::lock_guard<std::mutex> lock(mu_);
      i = state_.size();
      state_.push_back(Worker{});
    }
    threads_.emplace_back([this, p, m, i] { loop(p, m, i); });
  }
  void set_running(bool on) {
    std::unique_lock<std::mutex> lock(mu_);
    running_ = on;
    if (on) ++generation_;
    cv_.notify_all();
    cv_.wait(lock, [&] {
      for (const auto& w : state_)
        if (!w.done && (on ? w.started < generation_ : w.active)) return false;
      return true;
    });
  }
  Status finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      quit_ = true;
      cv_.notify_all();
    }
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    for (const auto& w : state_)
      if (!w.status.ok()) return w.status.with_context("co-run load");
    return Status();
  }

 private:
  struct Worker {
    int64_t started = 0;  // generation of the last run started
    bool active = false, done = false;
    Status status;
  };
  void loop(Processor* p, CompiledModel* m, size_t i) {
    Status st = p->bind_current_thread();
    while (st.ok()) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return running_ || quit_; });
        if (quit_) break;
        state_[i].started = generation_;
        state_[i].active = true;
        cv_.notify_all();
      }
      st = m->run(nullptr);
      std::lock_guard<std::mutex> lock(mu_);
      state_[i].active = false;
      cv_.notify_all();
    }
    std::lock_guard<std::mutex> lock(mu_);
    state_[i].status = st;
    state_[i].done = true;
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false, quit_ = false;
  int64_t generation_ = 0;
  std::deque<Worker> state_;
  std::vector<std::thread> threads_;
};

// Co-run slowdown depends on the model (compute- or memory-bound) and on who
// else runs: keyed by both.
std::string corun_key(const CostTable& t, const std::vector<Processor*>& procs, size_t p) {
  std::string k = hex64(t.model_hash) + "|";
  for (size_t q = 0; q < procs.size(); ++q)
    if (q != p) k += (k.back() == '|' ? "" : "+") + procs[q]->spec();
  return k;
}

}  // namespace

double robust_mean(std::vector<double> s) {
  if (s.empty()) return NAN;
  const double med = median(s);
  std::vector<double> dev;
  for (double v : s) dev.push_back(std::fabs(v - med));
  const double mad = median(dev);
  double sum = 0;
  int n = 0;
  for (double v : s)
    if (std::fabs(v - med) <= 3 * mad) sum += v, ++n;
  return n ? sum / n : med;
}

std::string default_cache_dir() {
  if (const char* d = std::getenv("TANDEM_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/tandem";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/tandem";
  return ".tandem-cache";
}

Expected<CostTable> profile_model(const Graph& g, const std::vector<Processor*>& procs,
                                  const ProfileOptions& o) {
  const size_t P = procs.size(), N = g.nodes.size();
  if (P == 0) return invalid_argument("profile: no processors");
  std::vector<std::string> specs;
  for (Processor* p : procs) specs.push_back(p->spec());
  for (size_t a = 0; a < P; ++a)
    for (size_t b = a + 1; b < P; ++b)
      if (specs[a] == specs[b])
        return invalid_argument("profile: processor '" + specs[a] + "' listed twice");
  CostTable table = make_cost_table(g, specs);
  auto warn = [&](const std::string& m) {
    if (o.warn) o.warn(m);
  };
  for (size_t p = 0; p < P; ++p) table.processors[p].description = procs[p]->description();

  // Work units for the progress report.
  const bool corun = o.measure_corun && P > 1;
  const bool transfers = o.measure_transfers && P > 1;
  double units_total = double(P) * 2 + (corun ? double(P) : 0) + (transfers ? double(P * P) : 0) +
                       (o.validate ? double(P) : 0);
  double units_done = 0;
  auto progress = [&](const std::string& what, double add = 0) {
    units_done += add;
    if (o.progress) o.progress(what, std::min(1.0, units_done / units_total));
  };

  // Cache: what is already known for each processor.
  std::vector<ProcessorCache> cache(P);
  std::vector<std::string> cache_path(P);
  for (size_t p = 0; p < P; ++p) {
    cache[p].machine = table.machine;
    cache[p].spec = specs[p];
    if (o.cache_dir.empty()) continue;
    cache_path[p] = processor_cache_path(o.cache_dir, table.machine, specs[p]);
    if (o.refresh) continue;
    auto c = load_processor_cache(cache_path[p], table.machine, specs[p]);
    if (c.ok())
      cache[p] = std::move(c).value();
    else
      warn(c.status().message() + "; measuring again");
  }

  std::vector<std::vector<bool>> supported(P, std::vector<bool>(N, false));
  std::vector<bool> need_nodes(P, false), need_corun(P, false);
  for (size_t p = 0; p < P; ++p) {
    auto& pc = table.processors[p];
    for (size_t n = 0; n < N; ++n) {
      supported[p][n] = procs[p]->supports(g, g.nodes[n]);
      if (!supported[p][n]) continue;
      auto it = cache[p].node_ms.find(table.nodes[n].key());
      if (it != cache[p].node_ms.end())
        pc.node_ms[n] = it->second;
      else
        need_nodes[p] = true;
    }
    auto it = cache[p].corun.find(corun_key(table, procs, p));
    if (it != cache[p].corun.end())
      pc.corun_factor = it->second;
    else if (corun)
      need_corun[p] = true;
  }
  const bool any_corun = std::find(need_corun.begin(), need_corun.end(), true) != need_corun.end();

  // Compile where something must run: per-node times, co-run (needs every
  // processor busy), validation.
  std::vector<CompiledModel> models(P);
  for (size_t p = 0; p < P; ++p) {
    if (need_nodes[p] || any_corun || o.validate) {
      progress("compiling on " + specs[p]);
      models[p] = compile_supported(g, procs[p], supported[p], warn);
      progress("compiled on " + specs[p], 1);
    } else {
      progress("cached " + specs[p], 1);
    }
  }

  // Whole-model runs without per-node timing, for --validate.
  std::vector<std::vector<double>> validate_runs(P);

  // Per-node times: warm-up, then runs until the median of the whole-range
  // time is stable; per node the robust mean over runs.
  for (size_t p = 0; p < P; ++p) {
    if (!need_nodes[p]) {
      progress("cached node times of " + specs[p], 1);
      continue;
    }
    progress("profiling " + specs[p]);
    std::vector<std::vector<double>> samples(N);
    double run_median = 0;
    CompiledModel& m = models[p];
    Status st = on_processor(procs[p], [&]() -> Status {
      std::vector<double> per_node(N, NAN), totals, medians;
      for (int w = 0; w < o.warmup_runs; ++w) TANDEM_RETURN_IF_ERROR(m.run(&per_node));
      const auto t0 = Clock::now();
      for (int r = 0; r < o.max_runs; ++r) {
        TANDEM_RETURN_IF_ERROR(m.run(&per_node));
        if (o.validate) {
          // Untimed runs interleaved with the timed ones see the same outside load.
          const auto tv = Clock::now();
          TANDEM_RETURN_IF_ERROR(m.run(nullptr));
          validate_runs[p].push_back(ms_since(tv));
        }
        double total = 0;
        for (size_t n = 0; n < N; ++n)
          if (!std::isnan(per_node[n])) samples[n].push_back(per_node[n]), total += per_node[n];
        totals.push_back(total);
        medians.push_back(median(totals));
        if (o.progress)
          o.progress("profiling " + specs[p] + " run " + std::to_string(r + 1),
                     std::min(1.0, (units_done + double(r + 1) / o.max_runs) / units_total));
        if (int(totals.size()) >= o.min_runs && medians.size() >= 4) {
          const double cur = medians.back();
          bool stable = true;
          for (size_t k = medians.size() - 4; k + 1 < medians.size(); ++k)
            if (std::fabs(medians[k] - cur) > o.stable_fraction * cur) stable = false;
          if (stable) break;
        }
        if (ms_since(t0) > 1000.0 * o.max_seconds_per_processor && int(totals.size()) >= 3) break;
      }
      run_median = median(totals);
      return Status();
    });
    if (!st.ok()) return st.with_context("profiling on '" + specs[p] + "'");
    // Nodes with one signature (the repeated blocks of a ResNet) share the
    // mean of their times: less noise, and the cache holds one time per key.
    // Per node the outliers are dropped, which on a loaded machine also drops
    // the preemptions every whole run suffers somewhere: the node times are
    // scaled so that they add up to the median run (the split is attributed,
    // the total is measured). On a quiet machine the scale is ~1.
    auto& pc = table.processors[p];
    std::vector<double> robust(N, NAN);
    double robust_sum = 0;
    for (size_t n = 0; n < N; ++n)
      if (!samples[n].empty()) robust_sum += robust[n] = robust_mean(samples[n]);
    const double scale = robust_sum > 0 && run_median > 0 ? run_median / robust_sum : 1.0;
    std::map<std::string, std::pair<double, int>> by_key;
    for (size_t n = 0; n < N; ++n)
      if (!samples[n].empty()) {
        auto& acc = by_key[table.nodes[n].key()];
        acc.first += robust[n] * scale;
        acc.second += 1;
      }
    for (size_t n = 0; n < N; ++n)
      if (!samples[n].empty()) {
        const auto& acc = by_key[table.nodes[n].key()];
        pc.node_ms[n] = acc.first / acc.second;
        cache[p].node_ms[table.nodes[n].key()] = pc.node_ms[n];
      }
    progress("profiled " + specs[p], 1);
  }

  // Co-run: each processor's whole-model time alone and while every other
  // processor loops over its own model, in three alternating blocks so that
  // load from outside (a shared machine) drifts into both sides alike; the
  // factor is median(loaded) / median(alone).
  for (size_t p = 0; p < P; ++p) {
    if (!need_corun[p] && !o.validate) continue;
    if (models[p].ranges.empty()) continue;
    progress((need_corun[p] ? "co-run calibration of " : "timing ") + specs[p]);
    std::vector<double> alone, together;
    BackgroundLoad load;
    if (need_corun[p])
      for (size_t q = 0; q < P; ++q)
        if (q != p && !models[q].ranges.empty()) load.add(procs[q], &models[q]);
    Status st = on_processor(procs[p], [&]() -> Status {
      TANDEM_RETURN_IF_ERROR(models[p].run(nullptr));
      // Validation runs here only when node times came from the cache; before the
      // loaded runs, which leave the caches cold.
      for (int k = 0; o.validate && validate_runs[p].empty() && k < 7; ++k) {
        const auto t0 = Clock::now();
        TANDEM_RETURN_IF_ERROR(models[p].run(nullptr));
        validate_runs[p].push_back(ms_since(t0));
      }
      // Blocks of runs alone and loaded, the first run of each block dropped:
      // it pays for the switch (caches the other side just filled).
      for (int round = 0; need_corun[p] && round < 3; ++round) {
        for (int loaded = 0; loaded < 2; ++loaded) {
          load.set_running(loaded == 1);
          for (int k = 0; k < 3; ++k) {
            const auto t0 = Clock::now();
            Status run = models[p].run(nullptr);
            const double ms = ms_since(t0);
            if (!run.ok()) {
              load.set_running(false);
              return run;
            }
            if (k > 0) (loaded ? together : alone).push_back(ms);
          }
        }
        load.set_running(false);
      }
      return Status();
    });
    Status load_st = load.finish();
    TANDEM_RETURN_IF_ERROR(st.with_context("timing on '" + specs[p] + "'"));
    TANDEM_RETURN_IF_ERROR(load_st);
    if (!validate_runs[p].empty()) table.processors[p].measured_total_ms = median(validate_runs[p]);
    if (!need_corun[p]) continue;
    const double factor = std::max(1.0, median(together) / median(alone));
    table.processors[p].corun_factor = factor;
    cache[p].corun[corun_key(table, procs, p)] = factor;
    progress("co-run " + specs[p], 1);
  }

  // Transfers: thread hand-off between each ordered pair plus half of each
  // side's boundary (layout conversion) cost, at several sizes, fitted.
  if (transfers) {
    std::vector<std::vector<double>> boundary(P);
    std::vector<bool> need_boundary(P, false);
    for (size_t a = 0; a < P; ++a)
      for (size_t b = 0; b < P; ++b)
        if (a != b && !cache[a].transfer_to.count(specs[b]))
          need_boundary[a] = need_boundary[b] = true;
    for (size_t p = 0; p < P; ++p) {
      if (!need_boundary[p]) continue;
      progress("boundary cost of " + specs[p]);
      auto bnd = measure_boundary_ms(procs[p], transfer_bench_sizes());
      if (!bnd.ok()) return bnd.status().with_context("boundary cost on '" + specs[p] + "'");
      boundary[p] = std::move(bnd).value();
      progress("boundary " + specs[p], 1);
    }
    for (size_t a = 0; a < P; ++a)
      for (size_t b = 0; b < P; ++b) {
        if (a == b) continue;
        auto it = cache[a].transfer_to.find(specs[b]);
        if (it != cache[a].transfer_to.end()) {
          table.transfer[a][b] = it->second;
          continue;
        }
        progress("hand-over " + specs[a] + " -> " + specs[b]);
        auto hand = measure_handoff_ms(procs[a], procs[b], transfer_bench_sizes());
        if (!hand.ok())
          return hand.status().with_context("hand-over " + specs[a] + " -> " + specs[b]);
        std::vector<double> bytes, ms;
        for (size_t k = 0; k < transfer_bench_sizes().size(); ++k) {
          bytes.push_back(double(transfer_bench_sizes()[k]));
          ms.push_back((*hand)[k] + 0.5 * (boundary[a][k] + boundary[b][k]));
        }
        table.transfer[a][b] = fit_transfer_model(bytes, ms);
        cache[a].transfer_to[specs[b]] = table.transfer[a][b];
        progress("hand-over " + specs[a] + " -> " + specs[b], 1);
      }
  }

  // Roofline for supported nodes that have no measurement (compile failed).
  for (size_t p = 0; p < P; ++p) {
    fit_roofline(table, int(p));
    if (table.processors[p].gflops <= 0) table.processors[p].gflops = cache[p].gflops;
    if (table.processors[p].gbps <= 0) table.processors[p].gbps = cache[p].gbps;
    cache[p].gflops = table.processors[p].gflops;
    cache[p].gbps = table.processors[p].gbps;
  }
  const int estimated = apply_roofline_estimates(table, supported);
  if (estimated > 0)
    warn("profile: " + std::to_string(estimated) + " node time(s) are roofline estimates");
  for (size_t p = 0; p < P; ++p)
    for (size_t n = 0; n < N; ++n)
      if (supported[p][n] && std::isnan(table.processors[p].node_ms[n]))
        warn("profile: node '" + g.nodes[n].name + "' has no time on '" + specs[p] +
             "' (no measurement, no roofline rate): treated as unsupported there");

  if (!o.cache_dir.empty())
    for (size_t p = 0; p < P; ++p) {
      Status st = save_processor_cache(cache_path[p], cache[p]);
      if (!st.ok()) warn("profile cache not written: " + st.message());
    }
  if (o.progress) o.progress("done", 1.0);
  TANDEM_RETURN_IF_ERROR(table.validate());
  return table;
}

}  // namespace tandem
