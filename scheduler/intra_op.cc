#include "scheduler/intra_op.h"

#include <cstdio>
#include <set>

#include "engine/processor_registry.h"
#include "scheduler/pipeline_setup.h"

namespace tandem {

std::string intra_op_spec(const std::vector<std::string>& specs) {
  if (specs.size() < 2) return "";
  const std::string prefix = "cpu:cores=";
  std::set<int> cores;
  size_t listed = 0;
  for (const std::string& s : specs) {
    if (s.rfind(prefix, 0) != 0 || s.find(',') != std::string::npos) return "";
    // L is "A", "A-B" or "A+B+..." (canonical specs from the cpu processor).
    std::string list = s.substr(prefix.size());
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t plus = list.find('+', pos);
      std::string part =
          list.substr(pos, plus == std::string::npos ? std::string::npos : plus - pos);
      int lo = -1, hi = -1;
      char tail = 0;
      const bool range = std::sscanf(part.c_str(), "%d-%d%c", &lo, &hi, &tail) == 2;
      if (!range) {
        if (std::sscanf(part.c_str(), "%d%c", &lo, &tail) != 1) return "";
        hi = lo;
      }
      if (lo < 0 || hi < lo || hi - lo >= 4096) return "";  // not a core list of this machine
      for (int c = lo; c <= hi; ++c, ++listed) cores.insert(c);
      if (plus == std::string::npos) break;
      pos = plus + 1;
    }
  }
  if (cores.size() != listed) return "";  // overlapping groups
  std::string merged;
  for (int c : cores) merged += (merged.empty() ? "" : "+") + std::to_string(c);
  return prefix + merged;
}

Expected<IntraOpResult> consider_intra_op(const Graph& g, const ProcessorRegistry& registry,
                                          std::vector<std::unique_ptr<Processor>>* processors,
                                          CostTable* table, Plan* plan,
                                          const ProfileOptions& profile,
                                          const PlanOptions& planning, bool save_profile) {
  IntraOpResult r;
  std::vector<std::string> specs;
  for (const auto& p : *processors) specs.push_back(p->spec());
  const std::string spec = intra_op_spec(specs);
  if (spec.empty()) return r;
  auto created = registry.create(spec);
  if (!created.ok()) return created.status().with_context("intra-op candidate");
  std::vector<std::unique_ptr<Processor>> merged;
  merged.push_back(std::move(created).value());
  TANDEM_ASSIGN_OR_RETURN(CostTable t,
                          obtain_cost_table(g, raw_pointers(merged), "", profile, save_profile));
  PlanOptions single = planning;
  single.max_latency_ms = 0;  // one stage: its latency is its period
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
