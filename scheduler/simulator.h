// A discrete-event simulator of a Plan's pipeline: each processor of a step is
// a worker, each worker owns `slots` output buffers per replica of the next step (2 =
// double buffering) and may start a frame only when its input is ready, it is
// idle and one of its output slots is free (a slot is freed when the next
// step has finished the frame). With fewer slots a replicated next step
// starves: its replicas wait on the producer's ring.
// Frames enter as fast as the first step takes them (saturated stream).
#pragma once

#include <vector>

#include "scheduler/cost_model.h"
#include "scheduler/partitioner.h"

namespace tandem {

struct SimulationOptions {
  int frames = 400;  // frames simulated
  int warmup = 50;   // frames excluded from the statistics
  int slots = 2;     // output buffers per worker per replica of the next step
  // Per-worker time per frame (compute + transfer); empty = the plan's times
  // (evaluate_plan). Workers are numbered over the steps in order, a step's
  // processors in its order (the order of to_stored_plan's entries).
  std::vector<double> worker_ms;
};

struct SimulationResult {
  double fps = 0;         // steady state, frames after warm-up
  double latency_ms = 0;  // median of (last step done - first step start)
  double max_latency_ms = 0;
  std::vector<double> busy;     // per worker: fraction of the steady span it computes
  std::vector<double> done_ms;  // per frame: when its last step finished
};

Expected<SimulationResult> simulate_plan(const Plan& plan, const SimulationOptions& options = {});

}  // namespace tandem
