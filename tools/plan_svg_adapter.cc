// PlanPicture from today's Plan + CostTable: the one place that knows both.
#include "scheduler/partitioner.h"
#include "tools/plan_svg.h"

namespace tandem {

PlanPicture plan_picture(const CostTable& table, const Plan& plan, const std::string& title) {
  PlanPicture pic;
  pic.title = title;
  for (const NodeSignature& n : table.nodes) pic.nodes.push_back(n.name);
  for (const ProcessorCosts& pc : table.processors) {
    pic.processors.push_back(pc.spec);
    pic.node_ms.push_back(pc.node_ms);
  }
  // Consecutive stages over the same range are one step's replicas.
  for (const PlanStage& st : plan.stages) {
    if (!pic.steps.empty() && pic.steps.back().first_node == st.first_node &&
        pic.steps.back().last_node == st.last_node) {
      pic.steps.back().processors.push_back(st.processor);
      continue;
    }
    PlanPicture::Step step;
    step.first_node = st.first_node;
    step.last_node = st.last_node;
    step.processors = {st.processor};
    // A replicated step takes a frame every time_ms / replicas on average.
    step.ms = st.time_ms() / double(st.replicas > 0 ? st.replicas : 1);
    pic.steps.push_back(step);
  }
  pic.kind = plan_kind_name(plan.kind);
  pic.predicted_fps = plan.predicted_fps;
  pic.period_ms = plan.period_ms;
  return pic;
}

}  // namespace tandem
