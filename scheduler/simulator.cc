#include "scheduler/simulator.h"

#include <algorithm>
#include <numeric>

namespace tandem {

Expected<SimulationResult> simulate_plan(const Plan& plan, const SimulationOptions& o) {
  const size_t W = size_t(plan.num_processors());
  if (plan.steps.empty()) return invalid_argument("simulate: plan has no steps");
  if (o.frames < 2 || o.warmup < 0 || o.warmup >= o.frames - 1 || o.slots < 1)
    return invalid_argument("simulate: need frames >= 2, 0 <= warmup < frames - 1, slots >= 1");
  if (!o.worker_ms.empty() && o.worker_ms.size() != W)
    return invalid_argument("simulate: worker_ms has " + std::to_string(o.worker_ms.size()) +
                            " entries for " + std::to_string(W) + " workers");
  // Steps: [first worker index, processor count]; worker w's time per frame.
  std::vector<std::pair<size_t, int>> steps;
  std::vector<double> worker_ms;
  for (const PlanStep& step : plan.steps) {
    if (step.processors.empty()) return invalid_argument("simulate: a step has no processors");
    steps.push_back({worker_ms.size(), step.num_processors()});
    for (const StepProcessor& sp : step.processors) worker_ms.push_back(sp.time_ms());
  }
  if (!o.worker_ms.empty()) worker_ms = o.worker_ms;
  const size_t K = steps.size(), F = size_t(o.frames);

  // Each worker handles its frames in order, so every event a frame waits for
  // belongs to an earlier frame or an earlier step of the same frame: walking
  // frames in order, steps in order, visits events in a valid time order.
  std::vector<std::vector<double>> start(K, std::vector<double>(F, 0)),
      finish(K, std::vector<double>(F, 0));
  std::vector<double> worker_free(W, 0), busy(W, 0);
  for (size_t f = 0; f < F; ++f) {
    for (size_t k = 0; k < K; ++k) {
      const auto [first, r] = steps[k];
      const size_t w = first + f % size_t(r);
      double t = k == 0 ? 0.0 : finish[k - 1][f];
      t = std::max(t, worker_free[w]);
      // Output slot: each worker has `slots` per replica of the next step, a
      // ring; the frame one ring back on this worker must have been consumed
      // (finished) by the next step.
      if (k + 1 < K) {
        const size_t back = size_t(o.slots) * size_t(r) * size_t(steps[k + 1].second);
        if (f >= back) t = std::max(t, finish[k + 1][f - back]);
      }
      start[k][f] = t;
      finish[k][f] = t + worker_ms[w];
      worker_free[w] = finish[k][f];
      if (f >= size_t(o.warmup)) busy[w] += worker_ms[w];
    }
  }
  SimulationResult res;
  // Outputs leave in order: a frame is delivered when it and all before it are done.
  std::vector<double> done = finish[K - 1];
  for (size_t f = 1; f < F; ++f) done[f] = std::max(done[f], done[f - 1]);
  // Measure over a whole number of round-robin cycles so replicas of unequal
  // speed do not bias the rate.
  size_t cycle = 1;
  for (const auto& s : steps) cycle = std::lcm(cycle, size_t(s.second));
  size_t w0 = size_t(o.warmup);
  while (w0 > 0 && (F - 1 - w0) % cycle != 0) --w0;
  const double span = done[F - 1] - done[w0];
  res.fps = span > 0 ? 1000.0 * double(F - 1 - w0) / span : 0;
  std::vector<double> lat;
  for (size_t f = w0; f < F; ++f) lat.push_back(done[f] - start[0][f]);
  std::sort(lat.begin(), lat.end());
  res.latency_ms = lat[lat.size() / 2];
  res.max_latency_ms = lat.back();
  const double total_span = finish[K - 1][F - 1] - start[0][w0];
  for (size_t w = 0; w < W; ++w) res.busy.push_back(total_span > 0 ? busy[w] / total_span : 0);
  res.done_ms = std::move(done);
  return res;
}

}  // namespace tandem
