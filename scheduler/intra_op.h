// The intra-op alternative to a plan over cpu core groups. Given
// "cpu:cores=0,cpu:cores=1" the partitioner chooses among one core alone, splits
// (pipelines) and parallel streams; the same two cores as one processor with two
// threads ("cpu:cores=0-1", intra-op parallelism) is another candidate, which wins
// on models whose layers split well across threads. It is measured like any
// processor (profile cache) and replaces the listed ones when it beats the best
// plan over them by more than PlanOptions::min_gain.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/processor.h"
#include "engine/processor_registry.h"
#include "scheduler/cost_model.h"
#include "scheduler/partitioner.h"

namespace tandem {

// The spec of one processor on all the cores of `processors`, when they are two
// or more plain core groups (Processor::core_group_spec) on disjoint cores that
// merge to the same spec ("cpu:cores=0-1" for "cpu:cores=0", "cpu:cores=1");
// "" otherwise.
std::string intra_op_spec(const std::vector<Processor*>& processors);

struct IntraOpResult {
  bool chosen = false;
  double fps = 0;  // the intra-op processor's predicted FPS (0: not considered)
};

// Where the cost table of a processor list comes from (the profile cache or a
// fresh measurement: obtain_cost_table in pipeline_setup.h).
using CostTableSource = std::function<Expected<CostTable>(const std::vector<Processor*>&)>;

// Considers the intra-op processor for `plan` (made over `*processors`, whose
// table is `*table`). When chosen, `*processors` becomes that one processor and
// `*table`/`*plan` its single-processor table and plan; either way plan->reason says
// what was compared. Not considered (fps 0) when intra_op_spec is "". The
// intra-op processor is made by `registry`.
Expected<IntraOpResult> consider_intra_op(const ProcessorRegistry& registry,
                                          std::vector<std::unique_ptr<Processor>>* processors,
                                          CostTable* table, Plan* plan, const PlanOptions& planning,
                                          const CostTableSource& cost_table_for);

}  // namespace tandem
