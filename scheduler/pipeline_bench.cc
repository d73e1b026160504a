#include "scheduler/pipeline_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>

namespace tandem {

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Streams `n` frames keeping at most max_in_flight outstanding; collects in order.
Status stream(Pipeline& p, const Pipeline::Tensors& inputs, int n) {
  std::deque<Pipeline::Ticket> pending;
  for (int f = 0; f < n; ++f) {
    TANDEM_ASSIGN_OR_RETURN(Pipeline::Ticket t, p.submit(inputs));
    pending.push_back(t);
    if (static_cast<int>(pending.size()) >= p.max_in_flight()) {
      auto out = p.wait(pending.front());
      pending.pop_front();
      if (!out.ok()) return out.status();
    }
  }
  for (Pipeline::Ticket t : pending) {
    auto out = p.wait(t);
    if (!out.ok()) return out.status();
  }
  return Status();
}

}  // namespace

Expected<PipelineBenchResult> bench_pipeline(Pipeline& p, const Pipeline::Tensors& inputs,
                                             int frames, const PipelineBenchOptions& options) {
  if (frames < 1)
    return invalid_argument("bench: frames must be >= 1, got " + std::to_string(frames));
  if (p.in_flight() != 0) return invalid_argument("bench: the pipeline has frames in flight");
  const int warmup =
      options.warmup_frames >= 0 ? options.warmup_frames : std::max(2, p.max_in_flight());
  TANDEM_RETURN_IF_ERROR(stream(p, inputs, warmup).with_context("bench warm-up"));

  p.reset_stats();
  auto t0 = std::chrono::steady_clock::now();
  TANDEM_RETURN_IF_ERROR(stream(p, inputs, frames));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  PipelineStats s = p.stats();
  if (!options.trace_path.empty()) TANDEM_RETURN_IF_ERROR(p.write_trace(options.trace_path));

  PipelineBenchResult r;
  r.frames = frames;
  r.fps = s.fps > 0 ? s.fps : (seconds > 0 ? frames / seconds : 0);
  r.wall_fps = seconds > 0 ? frames / seconds : 0;
  r.loaded_latency_ms_median = s.latency_ms_median;
  r.stages = s.stages;

  std::vector<double> lat;
  for (int i = 0; i < options.latency_frames; ++i) {
    auto t = std::chrono::steady_clock::now();
    auto out = p.run(inputs);
    if (!out.ok()) return out.status();
    lat.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
  }
  if (!lat.empty()) {
    r.latency_ms_median = median(lat);
    r.latency_ms_min = *std::min_element(lat.begin(), lat.end());
  } else {
    r.latency_ms_median = s.latency_ms_median;
  }
  return r;
}

std::string format_pipeline_bench(const PipelineBenchResult& r) {
  char buf[256];
  std::snprintf(
      buf, sizeof(buf),
      "%d frames: %.2f FPS (wall %.2f), latency %.2f ms alone (min %.2f), %.2f ms streaming\n",
      r.frames, r.fps, r.wall_fps, r.latency_ms_median, r.latency_ms_min,
      r.loaded_latency_ms_median);
  std::string s = buf;
  for (const StageStats& st : r.stages) {
    std::snprintf(
        buf, sizeof(buf),
        "  stage %d %-20s nodes [%d,%d) x%d: compute %.3f ms, transfer %.3f ms, wait in %.3f ms, "
        "wait out %.3f ms\n",
        st.stage, st.processor.c_str(), st.first_node, st.last_node, st.replicas, st.compute_ms,
        st.transfer_ms, st.wait_input_ms, st.wait_output_ms);
    s += buf;
  }
  return s;
}

}  // namespace tandem
