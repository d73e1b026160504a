#include "scheduler/intra_op.h"

#include <cstdio>
#include <set>

#include "engine/processor_registry.h"

namespace tandem {

std::string intra_op_spec(const std::vector<Processor*>& processors) {
  if (processors.size() < 2) return "";
  std::set<int> cores;
  size_t listed = 0;
  for (const Processor* p : processors) {
    const std::vector<int> own = p->cores();
    if (own.empty()) return "";  // not pinned
    cores.insert(own.begin(), own.end());
    listed += own.size();
  }
  if (cores.size() != listed) return "";  // overlapping groups
  const std::vector<int> all(cores.begin(), cores.end());
  const std::string spec = processors[0]->core_group_spec(all);
  for (const Processor* p : processors)
    if (p->core_group_spec(all) != spec) return "";  // other kinds or settings
  return spec;
}

Expected<IntraOpResult> consider_intra_op(const ProcessorRegistry& registry,
                                          std::vector<std::unique_ptr<Processor>>* processors,
                                          CostTable* table, Plan* plan, const PlanOptions& planning,
                                          const CostTableSource& cost_table_for) {
  IntraOpResult r;
  std::vector<Processor*> listed;
  for (const auto& p : *processors) listed.push_back(p.get());
  const std::string spec = intra_op_spec(listed);
  if (spec.empty()) return r;
  auto created = registry.create(spec);
  if (!created.ok()) return created.status().with_context("intra-op candidate");
  std::vector<std::unique_ptr<Processor>> merged;
  merged.push_back(std::move(created).value());
  TANDEM_ASSIGN_OR_RETURN(CostTable t, cost_table_for({merged[0].get()}));
  PlanOptions single = planning;
  single.max_latency_ms = 0;  // one step: its latency is its period
  TANDEM_ASSIGN_OR_RETURN(Plan p, plan_partition(t, single));
  r.fps = p.predicted_fps;
  char buf[160];
  if (p.predicted_fps > plan->predicted_fps * (1 + planning.min_gain) &&
      (planning.max_latency_ms <= 0 || p.latency_ms <= planning.max_latency_ms)) {
    std::snprintf(buf, sizeof buf,
                  "intra-op %s: %.2f fps beats the best plan over the listed processors "
                  "(%.2f fps) by more than %.0f%%",
                  merged[0]->spec().c_str(), p.predicted_fps, plan->predicted_fps,
                  planning.min_gain * 100);
    p.reason = buf;
    *processors = std::move(merged);
    *table = std::move(t);
    *plan = std::move(p);
    r.chosen = true;
    return r;
  }
  std::snprintf(buf, sizeof buf, "; intra-op %s: %.2f fps (kept the plan)",
                merged[0]->spec().c_str(), p.predicted_fps);
  plan->reason += buf;
  return r;
}

}  // namespace tandem
