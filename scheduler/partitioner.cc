#include "scheduler/partitioner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace tandem {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

int popcount(unsigned m) {
  return __builtin_popcount(m);
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Prefix sums of node times per processor, with and without the co-run
// factor, and prefix counts of unsupported nodes.
struct Prefix {
  std::vector<std::vector<double>> alone, corun;
  std::vector<std::vector<int>> unsupported;

  explicit Prefix(const CostTable& t) {
    const size_t P = t.processors.size(), N = t.nodes.size();
    alone.assign(P, std::vector<double>(N + 1, 0));
    corun.assign(P, std::vector<double>(N + 1, 0));
    unsupported.assign(P, std::vector<int>(N + 1, 0));
    for (size_t p = 0; p < P; ++p) {
      const auto& pc = t.processors[p];
      for (size_t i = 0; i < N; ++i) {
        const double ms = pc.node_ms[i];
        const bool bad = std::isnan(ms);
        alone[p][i + 1] = alone[p][i] + (bad ? 0 : ms);
        corun[p][i + 1] = corun[p][i] + (bad ? 0 : ms * pc.corun_factor);
        unsupported[p][i + 1] = unsupported[p][i] + (bad ? 1 : 0);
      }
    }
  }
  // Compute time of [a, b) on p; +inf when a node there is unsupported.
  double compute(int p, int a, int b, bool multi) const {
    if (unsupported[size_t(p)][size_t(b)] != unsupported[size_t(p)][size_t(a)]) return kInf;
    const auto& s = multi ? corun[size_t(p)] : alone[size_t(p)];
    return s[size_t(b)] - s[size_t(a)];
  }
};

double transfer_into(const CostTable& t, unsigned from_mask, int q, double bytes) {
  double worst = 0;
  for (int p = 0; p < t.num_processors(); ++p)
    if (from_mask >> p & 1u) worst = std::max(worst, t.transfer[size_t(p)][size_t(q)].ms(bytes));
  return worst;
}

PlanKind kind_of(const Plan& plan, int num_nodes) {
  if (plan.num_processors() == 1) return PlanKind::kSingle;
  const PlanStep& first = plan.steps[0];
  if (plan.num_steps() == 1 && first.first_node == 0 && first.last_node == num_nodes)
    return PlanKind::kParallel;
  for (const PlanStep& s : plan.steps)
    if (s.num_processors() > 1) return PlanKind::kMixed;
  return PlanKind::kPipeline;
}

enum class DpMode { kMinMax, kMinSum };

// The exact search. State (i, S, L): nodes [0, i) placed on the processors in
// S, the last step ran on the processors in L (a subset of S). A transition
// adds step [i, j) on a set Q disjoint from S; its time per frame is the
// slowest replica's compute + transfer from L, divided by |Q| (round robin).
// kMinMax minimises the slowest step; kMinSum minimises the sum of the steps'
// per-frame times (latency), skipping steps slower than `cap`.
class Dp {
 public:
  Dp(const CostTable& t, const Prefix& prefix, const std::vector<int64_t>& cross, DpMode mode,
     double cap, int max_replicas)
      : t_(t), prefix_(prefix), cross_(cross), mode_(mode), cap_(cap), max_replicas_(max_replicas) {
    P_ = t.num_processors();
    N_ = t.num_nodes();
    M_ = 1u << P_;
    value_.assign(size_t(N_ + 1) * M_ * M_, kInf);
    parent_i_.assign(value_.size(), -1);
    parent_l_.assign(value_.size(), 0);
    run();
  }

  // Best value over final states using exactly k processors (k >= 2 is
  // multi-worker; k = 1 here includes the co-run factor and is not used).
  double best_with(int k, unsigned* s_out, unsigned* l_out) const {
    double best = kInf;
    for (unsigned S = 1; S < M_; ++S) {
      if (popcount(S) != k) continue;
      for (unsigned L = S; L; L = (L - 1) & S) {
        double v = at(N_, S, L);
        if (v < best) {
          best = v;
          *s_out = S;
          *l_out = L;
        }
      }
    }
    return best;
  }

  // The steps of the state's path, in order (processors of a step ascending).
  std::vector<PlanStep> backtrack(unsigned S, unsigned L) const {
    std::vector<PlanStep> rev;
    int j = N_;
    while (j > 0) {
      const size_t id = index(j, S, L);
      const int i = parent_i_[id];
      const unsigned prevL = parent_l_[id];
      std::vector<int> qs;
      for (int q = 0; q < P_; ++q)
        if (L >> q & 1u) qs.push_back(q);
      rev.push_back(plan_step(i, j, qs));
      S ^= L;
      L = prevL;
      j = i;
    }
    std::reverse(rev.begin(), rev.end());
    return rev;
  }

 private:
  size_t index(int i, unsigned S, unsigned L) const { return (size_t(i) * M_ + S) * M_ + L; }
  double at(int i, unsigned S, unsigned L) const { return value_[index(i, S, L)]; }

  void run() {
    value_[index(0, 0, 0)] = 0;
    const unsigned all = M_ - 1;
    std::vector<double> xfer(size_t(P_), 0);
    std::vector<int> qs;
    for (int i = 0; i < N_; ++i) {
      // L = 0 only at i = 0 (nothing placed yet).
      for (unsigned L = 0; L < M_; ++L) {
        if ((L == 0) != (i == 0)) continue;
        // Any reachable (i, S, L)?  Skip the L whose states are all empty.
        bool any = false;
        const unsigned freeL = all & ~L;
        for (unsigned sub = freeL;; sub = (sub - 1) & freeL) {
          if (at(i, L | sub, L) < kInf) {
            any = true;
            break;
          }
          if (sub == 0) break;
        }
        if (!any) continue;
        for (unsigned Q = freeL; Q; Q = (Q - 1) & freeL) {
          const int r = popcount(Q);
          if (r > max_replicas_) continue;
          qs.clear();
          for (int q = 0; q < P_; ++q)
            if (Q >> q & 1u) {
              qs.push_back(q);
              xfer[size_t(q)] = i == 0 ? 0.0 : transfer_into(t_, L, q, double(cross_[size_t(i)]));
            }
          const unsigned freeS = all & ~L & ~Q;
          for (int j = i + 1; j <= N_; ++j) {
            double worst = 0;
            for (int q : qs)
              worst = std::max(worst, prefix_.compute(q, i, j, true) + xfer[size_t(q)]);
            if (worst == kInf) break;  // an unsupported node: longer ranges fail too
            const double step = worst / r;
            if (mode_ == DpMode::kMinSum && step > cap_) break;  // times grow with j
            const double add = mode_ == DpMode::kMinSum ? worst : step;
            for (unsigned sub = freeS;; sub = (sub - 1) & freeS) {
              const unsigned S = L | sub;
              const double v = at(i, S, L);
              if (v < kInf) {
                const double nv = mode_ == DpMode::kMinMax ? std::max(v, add) : v + add;
                const size_t id = index(j, S | Q, Q);
                if (nv < value_[id]) {
                  value_[id] = nv;
                  parent_i_[id] = i;
                  parent_l_[id] = static_cast<uint8_t>(L);
                }
              }
              if (sub == 0) break;
            }
          }
        }
      }
    }
  }

  const CostTable& t_;
  const Prefix& prefix_;
  const std::vector<int64_t>& cross_;
  DpMode mode_;
  double cap_;
  int max_replicas_;
  int P_ = 0, N_ = 0;
  unsigned M_ = 1;
  std::vector<double> value_;
  std::vector<int> parent_i_;
  std::vector<uint8_t> parent_l_;
};

// Best single-processor plan (no co-run factor: it runs alone).
int best_single(const CostTable& t, const Prefix& prefix, double* ms) {
  int best = -1;
  *ms = kInf;
  for (int p = 0; p < t.num_processors(); ++p) {
    double v = prefix.compute(p, 0, t.num_nodes(), false);
    if (v < *ms) {
      *ms = v;
      best = p;
    }
  }
  return best;
}

Plan make_plan(std::vector<PlanStep> steps) {
  Plan p;
  p.steps = std::move(steps);
  return p;
}

}  // namespace

double PlanStep::time_ms() const {
  double worst = 0;
  for (const StepProcessor& p : processors) worst = std::max(worst, p.time_ms());
  return worst;
}

double PlanStep::period_ms() const {
  return processors.empty() ? 0.0 : time_ms() / num_processors();
}

PlanStep plan_step(int first_node, int last_node, const std::vector<int>& processors) {
  PlanStep s;
  s.first_node = first_node;
  s.last_node = last_node;
  for (int p : processors) s.processors.push_back({p, 0, 0});
  return s;
}

const char* plan_kind_name(PlanKind kind) {
  switch (kind) {
    case PlanKind::kSingle:
      return "single";
    case PlanKind::kPipeline:
      return "pipeline";
    case PlanKind::kParallel:
      return "parallel";
    case PlanKind::kMixed:
      return "mixed";
  }
  return "?";
}

const char* plan_objective_name(PlanObjective o) {
  return o == PlanObjective::kLatency ? "latency" : "throughput";
}

int Plan::num_processors() const {
  int n = 0;
  for (const PlanStep& s : steps) n += s.num_processors();
  return n;
}

std::vector<int64_t> crossing_bytes(const CostTable& table) {
  const int N = table.num_nodes();
  std::vector<int64_t> diff(size_t(N) + 2, 0);
  // A tensor produced at p and last read at u crosses cuts p+1 .. u (TensorFlow::crosses).
  for (const auto& f : table.tensors) {
    const int lo = f.producer + 1, hi = f.last_use;
    if (hi < lo) continue;
    diff[size_t(lo)] += f.bytes;
    diff[size_t(hi) + 1] -= f.bytes;
  }
  std::vector<int64_t> cross(size_t(N) + 1, 0);
  int64_t run = 0;
  for (int c = 0; c <= N; ++c) cross[size_t(c)] = run += diff[size_t(c)];
  return cross;
}

namespace {

// One step of check_plan: its range continues at `expect_first`, its
// processors are valid, unused so far and run every node of the range.
Status check_step(const CostTable& t, const PlanStep& step, int expect_first,
                  const std::string& where, std::vector<bool>& used) {
  const int N = t.num_nodes(), P = t.num_processors();
  if (step.processors.empty()) return invalid_argument(where + ": no processors");
  if (step.first_node != expect_first || step.last_node <= step.first_node || step.last_node > N)
    return invalid_argument(where + ": node range [" + std::to_string(step.first_node) + ", " +
                            std::to_string(step.last_node) + ") does not continue at node " +
                            std::to_string(expect_first) + " of " + std::to_string(N));
  for (const StepProcessor& sp : step.processors) {
    const int p = sp.processor;
    if (p < 0 || p >= P)
      return invalid_argument(where + ": processor index " + std::to_string(p) + " out of range");
    const std::string& spec = t.processors[size_t(p)].spec;
    if (used[size_t(p)]) return invalid_argument(where + ": processor '" + spec + "' used twice");
    used[size_t(p)] = true;
    for (int n = step.first_node; n < step.last_node; ++n)
      if (!t.supported(p, n))
        return invalid_argument(where + ": node " + std::to_string(n) + " ('" +
                                t.nodes[size_t(n)].name + "', " + t.nodes[size_t(n)].op +
                                ") is not supported on '" + spec + "'");
  }
  return Status();
}

}  // namespace

Status check_plan(const CostTable& t, const Plan& plan) {
  const int N = t.num_nodes();
  if (plan.steps.empty()) return invalid_argument("plan has no steps");
  std::vector<bool> used(size_t(t.num_processors()), false);
  int expect_first = 0;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    TANDEM_RETURN_IF_ERROR(
        check_step(t, plan.steps[i], expect_first, "plan step " + std::to_string(i), used));
    expect_first = plan.steps[i].last_node;
  }
  if (expect_first != N)
    return invalid_argument("plan covers nodes [0, " + std::to_string(expect_first) + ") of " +
                            std::to_string(N));
  return Status();
}

Status evaluate_plan(const CostTable& t, Plan& plan) {
  TANDEM_RETURN_IF_ERROR(check_plan(t, plan));
  const Prefix prefix(t);
  const std::vector<int64_t> cross = crossing_bytes(t);
  const bool multi = plan.num_processors() > 1;
  plan.period_ms = 0;
  plan.latency_ms = 0;
  unsigned prev_mask = 0;
  for (PlanStep& step : plan.steps) {
    unsigned mask = 0;
    for (StepProcessor& sp : step.processors) {
      sp.compute_ms = prefix.compute(sp.processor, step.first_node, step.last_node, multi);
      sp.transfer_ms = prev_mask ? transfer_into(t, prev_mask, sp.processor,
                                                 double(cross[size_t(step.first_node)]))
                                 : 0.0;
      mask |= 1u << sp.processor;
    }
    plan.period_ms = std::max(plan.period_ms, step.period_ms());
    plan.latency_ms += step.time_ms();
    prev_mask = mask;
  }
  plan.predicted_fps = plan.period_ms > 0 ? 1000.0 / plan.period_ms : 0;
  plan.kind = kind_of(plan, t.num_nodes());
  return Status();
}

double plan_lower_bound(const CostTable& t, bool allow_replicas) {
  // A plan is one processor alone (no co-run) or several workers, where every
  // node costs at least its cheapest co-run time and the work spreads over at
  // most P workers (one node cannot be split without replicas).
  const int P = t.num_processors();
  double total = 0, largest = 0;
  for (int n = 0; n < t.num_nodes(); ++n) {
    double best = kInf;
    for (int p = 0; p < P; ++p)
      if (t.supported(p, n))
        best = std::min(best, t.processors[size_t(p)].node_ms[size_t(n)] *
                                  t.processors[size_t(p)].corun_factor);
    if (best == kInf) continue;
    total += best;
    largest = std::max(largest, best);
  }
  const double share = P > 0 ? total / P : 0;
  const double multi = allow_replicas ? share : std::max(share, largest);
  double single = kInf;
  const Prefix prefix(t);
  for (int p = 0; p < P; ++p) single = std::min(single, prefix.compute(p, 0, t.num_nodes(), false));
  return std::min(single, multi);
}

namespace {

// One search of plan_partition: the table's prefix sums and crossing bytes, the
// best single processor, and the families of plans built from them.
class PlanSearch {
 public:
  PlanSearch(const CostTable& t, const PlanOptions& o)
      : t_(t),
        o_(o),
        P_(t.num_processors()),
        N_(t.num_nodes()),
        prefix_(t),
        cross_(crossing_bytes(t)) {
    // Replicated steps multiply the search by ~(4/3)^P; beyond 4 processors
    // only single-processor steps (and the all-replica plan) are searched.
    max_replicas_ = !o.allow_replicas ? 1 : (P_ <= 4 ? P_ : 1);
    single_p_ = best_single(t, prefix_, &single_ms_);
  }

  Expected<Plan> throughput_under_latency() const;
  Expected<Plan> min_latency() const;
  Expected<Plan> max_throughput() const;
  // Plan::reason: the best of each family next to the chosen plan.
  std::string reason(const Plan& plan) const;

 private:
  Dp dp(DpMode mode, double cap) const { return Dp(t_, prefix_, cross_, mode, cap, max_replicas_); }
  // Best value of each processor count k (1: the single processor alone).
  std::vector<double> per_k(const Dp& dp, double single_cap = kInf) const {
    std::vector<double> v(size_t(P_) + 1, kInf);
    unsigned S, L;
    for (int k = 2; k <= P_; ++k) v[size_t(k)] = dp.best_with(k, &S, &L);
    if (single_ms_ <= single_cap) v[1] = single_ms_;
    return v;
  }
  // The fewest processors whose value is within min_gain of the best; -1: none.
  int pick_k(const std::vector<double>& per_k) const {
    double best = kInf;
    for (double v : per_k) best = std::min(best, v);
    for (size_t k = 1; k < per_k.size(); ++k)
      if (per_k[k] <= best * (1 + o_.min_gain)) return int(k);
    return -1;
  }
  Expected<Plan> finish(std::vector<PlanStep> steps, const std::string& objective) const {
    Plan plan = make_plan(std::move(steps));
    TANDEM_RETURN_IF_ERROR(evaluate_plan(t_, plan));
    plan.objective = objective;
    plan.lower_bound_ms = plan_lower_bound(t_, o_.allow_replicas);
    return plan;
  }
  std::vector<PlanStep> steps_of(const Dp& dp, int k) const {
    if (k == 1) return {plan_step(0, N_, {single_p_})};
    unsigned S = 0, L = 0;
    dp.best_with(k, &S, &L);
    return dp.backtrack(S, L);
  }
  // Whole-model copies side by side on every processor that runs every node.
  PlanStep parallel_step() const {
    std::vector<int> ps;
    for (int p = 0; p < P_; ++p)
      if (prefix_.compute(p, 0, N_, true) < kInf) ps.push_back(p);
    return plan_step(0, N_, ps);
  }
  std::vector<PlanStep> prefer_streams(std::vector<PlanStep> steps, int k) const;

  const CostTable& t_;
  const PlanOptions& o_;
  const int P_, N_;
  const Prefix prefix_;
  const std::vector<int64_t> cross_;
  int max_replicas_ = 1;
  int single_p_ = -1;
  double single_ms_ = kInf;
};

// Throughput under a latency bound: the smallest period cap at which a plan
// with latency <= bound exists (bisection; feasibility is monotone), then the
// fewest processors whose best period under the bound is within min_gain.
Expected<Plan> PlanSearch::throughput_under_latency() const {
  // Sums in another order differ in the last bits: a bound equal to a plan's
  // latency admits it.
  const double bound = o_.max_latency_ms * (1 + 1e-9);
  auto fastest_at = [&](double cap) {
    double fastest = kInf;
    for (double v : per_k(dp(DpMode::kMinSum, cap), cap)) fastest = std::min(fastest, v);
    return fastest;
  };
  const double fastest = fastest_at(kInf);
  if (!(fastest <= bound))
    return invalid_argument("no plan meets --max-latency-ms " + fmt("%.3f", o_.max_latency_ms) +
                            ": the lowest predicted latency is " + fmt("%.3f", fastest) + " ms");
  double lo = 0, hi = fastest;  // a plan of latency L has period <= L
  for (int it = 0; it < 40 && hi - lo > 1e-7 * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    (fastest_at(mid) <= bound ? hi : lo) = mid;
  }
  const double cap = hi * (1 + o_.min_gain);
  const Dp capped = dp(DpMode::kMinSum, cap);
  const std::vector<double> v = per_k(capped, cap);
  int k = -1;
  for (int kk = 1; kk <= P_ && k < 0; ++kk)
    if (v[size_t(kk)] <= bound) k = kk;
  if (k < 0) return internal_error("latency-bounded search lost its feasible plan");
  return finish(steps_of(capped, k), "throughput@latency<=" + fmt("%g", o_.max_latency_ms));
}

Expected<Plan> PlanSearch::min_latency() const {
  const Dp sum = dp(DpMode::kMinSum, kInf);
  const int k = pick_k(per_k(sum));
  if (k < 0) return invalid_argument("no processor list can run every node of the model");
  return finish(steps_of(sum, k), "latency");
}

Expected<Plan> PlanSearch::max_throughput() const {
  const Dp max = dp(DpMode::kMinMax, kInf);
  const std::vector<double> v = per_k(max);
  const int k = pick_k(v);
  if (k < 0) return invalid_argument("no processor list can run every node of the model");
  if (k == 1) return finish(steps_of(max, 1), "throughput");
  // Among the plans with the best period, the one with the lowest latency.
  const Dp low = dp(DpMode::kMinSum, v[size_t(k)] * (1 + 1e-9));
  unsigned S2 = 0, L2 = 0;
  std::vector<PlanStep> steps =
      low.best_with(k, &S2, &L2) < kInf ? low.backtrack(S2, L2) : steps_of(max, k);
  return finish(prefer_streams(std::move(steps), k), "throughput");
}

// Parallel streams within min_gain of the best pipeline win: no step couples to
// another, no transfers, latency no worse than one copy (docs/scheduler.md,
// "Measurements behind the selection rules").
std::vector<PlanStep> PlanSearch::prefer_streams(std::vector<PlanStep> steps, int k) const {
  PlanStep par = parallel_step();
  const bool first_alone = !steps.empty() && steps[0].num_processors() == 1;
  if (max_replicas_ > 1 && par.num_processors() == k && steps.size() > 1 && first_alone) {
    Plan pp = make_plan({par}), best = make_plan(steps);
    if (evaluate_plan(t_, pp).ok() && evaluate_plan(t_, best).ok() &&
        pp.period_ms <= best.period_ms * (1 + o_.min_gain))
      return {par};
  }
  return steps;
}

std::string PlanSearch::reason(const Plan& plan) const {
  std::string why = single_p_ >= 0 ? "single " + t_.processors[size_t(single_p_)].spec + ": " +
                                         fmt("%.2f", 1000.0 / single_ms_) + " fps"
                                   : "no single processor runs every node";
  if (P_ > 1) {
    PlanStep par = parallel_step();
    if (par.num_processors() > 1) {
      Plan pp = make_plan({par});
      if (evaluate_plan(t_, pp).ok())
        why += "; parallel streams x" + std::to_string(par.num_processors()) + ": " +
               fmt("%.2f", pp.predicted_fps) + " fps";
    }
    Dp pipe(t_, prefix_, cross_, DpMode::kMinMax, kInf, 1);
    double best_pipe = kInf;
    unsigned S, L;
    for (int k = 2; k <= P_; ++k) best_pipe = std::min(best_pipe, pipe.best_with(k, &S, &L));
    if (best_pipe < kInf) why += "; best pipeline: " + fmt("%.2f", 1000.0 / best_pipe) + " fps";
  }
  why += "; chose " + std::string(plan_kind_name(plan.kind)) + " (" +
         fmt("%.2f", plan.predicted_fps) + " fps";
  if (plan.kind != PlanKind::kSingle && o_.min_gain > 0)
    why += ", beats fewer processors by more than " + fmt("%.0f", o_.min_gain * 100) + "%";
  return why + ")";
}

}  // namespace

Expected<Plan> plan_partition(const CostTable& t, const PlanOptions& o) {
  TANDEM_RETURN_IF_ERROR(t.validate());
  const int P = t.num_processors(), N = t.num_nodes();
  if (P < 1) return invalid_argument("no processors to plan for");
  if (N < 1) return invalid_argument("model has no nodes to plan");
  if (P > 6)
    return invalid_argument("the planner handles at most 6 processors, got " + std::to_string(P));
  const PlanSearch search(t, o);
  Expected<Plan> result = o.max_latency_ms > 0 ? search.throughput_under_latency()
                          : o.objective == PlanObjective::kLatency ? search.min_latency()
                                                                   : search.max_throughput();
  if (result.ok()) result->reason = search.reason(*result);
  return result;
}

StoredPlan to_stored_plan(const CostTable& t, const Plan& plan) {
  StoredPlan s;
  for (const auto& pc : t.processors) s.processors.push_back(pc.spec);
  for (const PlanStep& step : plan.steps)
    for (const StepProcessor& sp : step.processors)
      s.stages.push_back({t.processors[size_t(sp.processor)].spec, step.first_node, step.last_node,
                          step.num_processors()});
  s.objective = plan.objective;
  s.predicted_fps = plan.predicted_fps;
  return s;
}

Expected<Plan> plan_from_stored(const CostTable& t, const StoredPlan& stored) {
  std::vector<std::string> specs;
  for (const auto& pc : t.processors) specs.push_back(pc.spec);
  if (stored.processors != specs)
    return invalid_argument("the stored plan was made for other processors; plan again");
  Plan plan;
  for (size_t i = 0; i < stored.stages.size();) {
    const StoredPlan::Stage& head = stored.stages[i];
    if (head.replicas < 1 || i + size_t(head.replicas) > stored.stages.size())
      return invalid_argument("stored plan entry " + std::to_string(i) + ": replicas " +
                              std::to_string(head.replicas) + " does not fit the entry list");
    std::vector<int> procs;
    for (size_t k = i; k < i + size_t(head.replicas); ++k) {
      const StoredPlan::Stage& s = stored.stages[k];
      if (s.first_node != head.first_node || s.last_node != head.last_node ||
          s.replicas != head.replicas)
        return invalid_argument("stored plan entry " + std::to_string(k) + ": replica of entry " +
                                std::to_string(i) + " with a different range or replica count");
      auto it = std::find(specs.begin(), specs.end(), s.processor);
      if (it == specs.end())
        return invalid_argument("stored plan stage on unknown processor '" + s.processor + "'");
      procs.push_back(int(it - specs.begin()));
    }
    plan.steps.push_back(plan_step(head.first_node, head.last_node, procs));
    i += size_t(head.replicas);
  }
  TANDEM_RETURN_IF_ERROR(evaluate_plan(t, plan));
  plan.objective = stored.objective;
  return plan;
}

namespace {

// "  step 0: cpu:cores=0  nodes [0, 9) a .. b: compute ..." for a step on one
// processor; a header line and one line per processor for a replicated step.
std::string step_text(const CostTable& t, size_t index, const PlanStep& s) {
  char buf[512];
  const auto& first = t.nodes[size_t(s.first_node)];
  const auto& last = t.nodes[size_t(s.last_node - 1)];
  auto times = [&](const StepProcessor& sp) {
    char tb[96];
    std::snprintf(tb, sizeof tb, "compute %.3f ms + transfer %.3f ms", sp.compute_ms,
                  sp.transfer_ms);
    return std::string(tb);
  };
  if (s.num_processors() == 1) {
    const StepProcessor& sp = s.processors[0];
    std::snprintf(buf, sizeof buf, "  step %zu: %-20s nodes [%d, %d) %s .. %s: %s\n", index,
                  t.processors[size_t(sp.processor)].spec.c_str(), s.first_node, s.last_node,
                  first.name.c_str(), last.name.c_str(), times(sp).c_str());
    return buf;
  }
  std::snprintf(
      buf, sizeof buf, "  step %zu: nodes [%d, %d) %s .. %s on %d processors, round robin\n", index,
      s.first_node, s.last_node, first.name.c_str(), last.name.c_str(), s.num_processors());
  std::string out = buf;
  for (const StepProcessor& sp : s.processors) {
    std::snprintf(buf, sizeof buf, "    %-20s %s\n",
                  t.processors[size_t(sp.processor)].spec.c_str(), times(sp).c_str());
    out += buf;
  }
  return out;
}

}  // namespace

std::string plan_to_text(const CostTable& t, const Plan& plan) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "plan: %s, %d processor(s) in %d step(s), objective %s\n"
                "predicted: %.2f fps (period %.3f ms), latency %.3f ms, lower bound %.3f ms "
                "(gap %.1f%%)\n",
                plan_kind_name(plan.kind), plan.num_processors(), plan.num_steps(),
                plan.objective.c_str(), plan.predicted_fps, plan.period_ms, plan.latency_ms,
                plan.lower_bound_ms,
                plan.lower_bound_ms > 0 ? 100.0 * (plan.period_ms / plan.lower_bound_ms - 1) : 0.0);
  std::string out = buf;
  for (size_t i = 0; i < plan.steps.size(); ++i) out += step_text(t, i, plan.steps[i]);
  if (!plan.reason.empty()) out += "why: " + plan.reason + "\n";
  return out;
}

}  // namespace tandem
