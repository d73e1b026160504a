#include "engine/memory_planner.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace tandem {

namespace {
size_t round_up(size_t v, size_t a) {
  return (v + a - 1) / a * a;
}
bool overlap_in_time(const BufferLifetime& a, const BufferLifetime& b) {
  return a.first_use <= b.last_use && b.first_use <= a.last_use;
}
}  // namespace

ArenaPlan arena_plan(const std::vector<BufferLifetime>& lifetimes, size_t alignment,
                     size_t tail_padding) {
  if (alignment == 0) alignment = 1;
  ArenaPlan plan;
  plan.offsets.assign(lifetimes.size(), 0);
  std::vector<size_t> order(lifetimes.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties by earlier first use so plans are deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (lifetimes[a].bytes != lifetimes[b].bytes) return lifetimes[a].bytes > lifetimes[b].bytes;
    return lifetimes[a].first_use < lifetimes[b].first_use;
  });
  std::vector<size_t> placed;
  for (size_t i : order) {
    const size_t need = round_up(lifetimes[i].bytes + tail_padding, alignment);
    if (lifetimes[i].bytes == 0) continue;
    // Busy intervals of already placed buffers alive at the same time, by offset.
    std::vector<std::pair<size_t, size_t>> busy;
    for (size_t j : placed)
      if (overlap_in_time(lifetimes[i], lifetimes[j]))
        busy.emplace_back(plan.offsets[j],
                          plan.offsets[j] + round_up(lifetimes[j].bytes + tail_padding, alignment));
    std::sort(busy.begin(), busy.end());
    size_t candidate = 0;
    for (const auto& [begin, end] : busy) {
      if (candidate + need <= begin) break;  // fits in the gap before this one
      candidate = std::max(candidate, end);
    }
    plan.offsets[i] = candidate;
    plan.total_bytes = std::max(plan.total_bytes, candidate + need);
    placed.push_back(i);
  }
  return plan;
}

size_t arena_lower_bound(const std::vector<BufferLifetime>& lifetimes) {
  std::map<int, long long> delta;
  for (const auto& l : lifetimes) {
    delta[l.first_use] += static_cast<long long>(l.bytes);
    delta[l.last_use + 1] -= static_cast<long long>(l.bytes);
  }
  long long live = 0, peak = 0;
  for (const auto& [step, d] : delta) {
    live += d;
    peak = std::max(peak, live);
  }
  return static_cast<size_t>(peak);
}

}  // namespace tandem
