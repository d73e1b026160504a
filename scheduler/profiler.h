// The profiler: builds a CostTable by running the real kernels through the
// Processor interface. Each processor runs the model (its supported node
// ranges) with per-node timing; the co-run factor, the boundary cost of each
// processor and the hand-over between worker threads are measured too. Results
// are cached per (machine, processor spec, node signature).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/processor.h"
#include "scheduler/cost_model.h"

namespace tandem {

struct ProfileOptions {
  using ProgressFn = std::function<void(const std::string& what, double fraction)>;
  int warmup_runs = 2;
  int min_runs = 5;
  int max_runs = 40;
  // Stop when the running median of whole-range time moved less than this
  // fraction over the last 3 runs.
  double stable_fraction = 0.01;
  // Upper bound on timed runs per processor (seconds), warm-up excluded.
  double max_seconds_per_processor = 20;
  bool measure_corun = true;
  bool measure_transfers = true;
  // Also time whole-model runs without per-node timing (validation).
  bool validate = false;
  // Ignore the cache and measure everything again.
  bool refresh = false;
  // Cache folder; empty = no cache.
  std::string cache_dir;
  // Called with what is being done and the fraction of the work done (0..1).
  ProgressFn progress;
  // Called with warnings (corrupt cache entry, compile failure -> estimate).
  std::function<void(const std::string& message)> warn;
};

// $TANDEM_CACHE_DIR, else $XDG_CACHE_HOME/tandem, else ~/.cache/tandem.
std::string default_cache_dir();

// Profiles `g` (topologically sorted, shapes inferred) on `processors`
// (not owned; specs are taken from Processor::spec()).
Expected<CostTable> profile_model(const Graph& g, const std::vector<Processor*>& processors,
                                  const ProfileOptions& options = {});

// Robust centre of repeated timings: the median, then the mean of the samples
// within 3 median absolute deviations of it (outliers dropped).
double robust_mean(std::vector<double> samples);

}  // namespace tandem
