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
  for (const PlanStep& st : plan.steps) {
    PlanPicture::Step step;
    step.first_node = st.first_node;
    step.last_node = st.last_node;
    for (const StepProcessor& sp : st.processors) step.processors.push_back(sp.processor);
    step.ms = st.period_ms();  // a replicated step takes a frame every time_ms / replicas
    pic.steps.push_back(step);
  }
  pic.kind = plan_kind_name(plan.kind);
  pic.predicted_fps = plan.predicted_fps;
  pic.period_ms = plan.period_ms;
  return pic;
}

}  // namespace tandem
