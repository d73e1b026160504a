// Measuring a Pipeline: throughput with the pipeline kept full, latency of a
// frame alone, and each stage's measured times; for `tandem bench`.
#pragma once

#include <string>
#include <vector>

#include "scheduler/pipeline.h"

namespace tandem {

struct PipelineBenchOptions {
  // Frames run and discarded before measuring (-1: max_in_flight, at least 2).
  int warmup_frames = -1;
  // Frames run one at a time (submit, wait) for the latency figures.
  int latency_frames = 5;
  // When non-empty, the streaming run's Chrome trace is written there.
  std::string trace_path;
};

struct PipelineBenchResult {
  int frames = 0;                // streamed frames measured
  double fps = 0;                // steady state: completions per second after the first
  double wall_fps = 0;           // frames / (first submit .. last completion), fill included
  double latency_ms_median = 0;  // one frame alone in the pipeline, submit to outputs
  double latency_ms_min = 0;
  double loaded_latency_ms_median = 0;  // submit to completion while streaming (queueing included)
  std::vector<StageStats> stages;       // measured means over the streamed frames
};

// Streams `frames` copies of `inputs` through `p` (after warm-up), keeping it
// full, then runs latency_frames frames alone. Fails with the first frame error.
// Resets p's stats. The pipeline must be idle on entry.
Expected<PipelineBenchResult> bench_pipeline(Pipeline& p, const Pipeline::Tensors& inputs,
                                             int frames, const PipelineBenchOptions& options = {});

// A few human-readable lines: FPS, latency, one line per stage.
std::string format_pipeline_bench(const PipelineBenchResult& r);

}  // namespace tandem
