// The partitioner: cuts the node list into contiguous ranges and gives each
// range to processors, minimising the slowest step (or the latency), by an
// exact dynamic programme over cut points x processor subsets.
//
// Plan layout (what the pipeline runtime reads): `steps` in pipeline order,
// each a node range [first_node, last_node) run by one or several processors
// side by side; frame f goes to processor f % processors.size() of the step
// (round robin, so outputs stay in order). A processor appears in at most one
// step. A plan with one step over all nodes on P > 1 processors is "parallel
// streams" (one whole-model copy per processor); one step on one processor is
// a single processor; several steps of one processor each is a plain pipeline.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "formats/model_file.h"
#include "scheduler/cost_model.h"

namespace tandem {

// One processor of a step (a replica when the step has several) and its
// predicted per-frame times there.
struct StepProcessor {
  int processor = 0;       // index into CostTable::processors
  double compute_ms = 0;   // node times, times the co-run factor when >1 processor
  double transfer_ms = 0;  // receiving the step's inputs from the previous step
  double time_ms() const { return compute_ms + transfer_ms; }
};

struct PlanStep {
  int first_node = 0;  // node range [first_node, last_node)
  int last_node = 0;
  std::vector<StepProcessor> processors;  // round robin over these, in this order

  int num_processors() const { return static_cast<int>(processors.size()); }
  // The slowest processor's time per frame; a frame takes this long here.
  double time_ms() const;
  // Time between frames leaving the step: time_ms() / num_processors().
  double period_ms() const;
};

// A step over [first_node, last_node) on `processors` (CostTable indices), times unset.
PlanStep plan_step(int first_node, int last_node, const std::vector<int>& processors);

// The shape of a plan (see the layout above).
enum class PlanKind {
  kSingle,    // one processor over all nodes
  kPipeline,  // several steps, one processor each
  kParallel,  // one step over all nodes on several processors (parallel streams)
  kMixed,     // several steps, some replicated
};
const char* plan_kind_name(PlanKind kind);  // "single", "pipeline", "parallel", "mixed"

enum class PlanObjective { kThroughput, kLatency };
const char* plan_objective_name(PlanObjective o);

struct PlanOptions {
  PlanObjective objective = PlanObjective::kThroughput;
  // > 0: maximise throughput among plans whose latency is at most this.
  double max_latency_ms = 0;
  // A plan on more processors must beat the best plan on fewer by this
  // fraction, else the simpler plan wins (pipelining costs memory and risk).
  double min_gain = 0.02;
  // Consider replicated steps (parallel streams and mixes).
  bool allow_replicas = true;
  // Where the processors are cpu core groups, also consider those cores as one
  // intra-op processor (scheduler/intra_op.h; applied by setup_pipeline and
  // `tandem plan`, not by plan_partition itself).
  bool allow_intra_op = true;
};

struct Plan {
  std::vector<PlanStep> steps;
  std::string objective;  // "throughput", "latency", "throughput@latency<=X"
  PlanKind kind = PlanKind::kSingle;
  double period_ms = 0;  // slowest step's time per frame (1000 / fps)
  double predicted_fps = 0;
  double latency_ms = 0;      // one frame through every step, no queueing
  double lower_bound_ms = 0;  // simple lower bound on period_ms
  std::string reason;         // why this plan: the alternatives and their FPS

  int num_steps() const { return static_cast<int>(steps.size()); }
  // Processors the plan uses (over all steps).
  int num_processors() const;
};

// Bytes of the non-constant tensors crossing each cut c (0..N): the flows with
// TensorFlow::crosses(c), i.e. tensors_crossing(graph, c) of graph.h (produced
// before node c, graph inputs at -1; read at c or later, graph outputs at N).
// O(nodes + tensors) by prefix sums.
std::vector<int64_t> crossing_bytes(const CostTable& table);

// Checks the plan's shape: step ranges in order covering [0, N), each step on
// at least one processor, each processor at most once, every node supported
// where it runs. Errors name the step.
Status check_plan(const CostTable& table, const Plan& plan);

// Fills the steps' processor times, period, fps and latency from the analytic model the
// planner optimises (the simulator checks it with queues).
Status evaluate_plan(const CostTable& table, Plan& plan);

// No plan's period can be lower: min(best single processor alone, sum over
// nodes of the cheapest co-run time / P, and the largest such node when
// replicas are off). Ignores transfers.
double plan_lower_bound(const CostTable& table, bool allow_replicas);

Expected<Plan> plan_partition(const CostTable& table, const PlanOptions& options = {});

// Conversions to and from the plan stored in a .tdm file (and plan JSON files),
// which lists one entry per processor of a step, a step's entries consecutive
// with equal ranges and `replicas` = the step's processor count.
StoredPlan to_stored_plan(const CostTable& table, const Plan& plan);
// Rebuilds a Plan from a stored one; fails when the processors differ.
Expected<Plan> plan_from_stored(const CostTable& table, const StoredPlan& stored);

// One line per processor of each step, for humans.
std::string plan_to_text(const CostTable& table, const Plan& plan);

}  // namespace tandem
