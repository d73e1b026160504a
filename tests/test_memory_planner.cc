#include <doctest/doctest.h>

#include <random>

#include "engine/memory_planner.h"

using namespace tandem;

namespace {
// Two buffers alive at the same step never overlap in memory.
void check_no_conflicts(const std::vector<BufferLifetime>& l, const ArenaPlan& p) {
  for (size_t i = 0; i < l.size(); ++i) {
    CHECK(p.offsets[i] % kArenaAlignment == 0);
    CHECK(p.offsets[i] + l[i].bytes <= p.total_bytes);
    for (size_t j = i + 1; j < l.size(); ++j) {
      bool live_together = l[i].first_use <= l[j].last_use && l[j].first_use <= l[i].last_use;
      bool disjoint =
          p.offsets[i] + l[i].bytes <= p.offsets[j] || p.offsets[j] + l[j].bytes <= p.offsets[i];
      if (live_together && l[i].bytes && l[j].bytes) CHECK(disjoint);
    }
  }
}
}  // namespace

TEST_CASE("arena_plan reaches the hand-computed optimum of a chain") {
  // A chain a->b->c->d: each buffer lives from its producer to its consumer.
  // Sizes 256, 512, 128, 256 (multiples of 64, no padding): peak pairs are
  // (a,b)=768, (b,c)=640, (c,d)=384, so the optimum is 768 bytes.
  std::vector<BufferLifetime> l = {{256, 0, 1}, {512, 1, 2}, {128, 2, 3}, {256, 3, 4}};
  ArenaPlan p = arena_plan(l, 64, 0);
  check_no_conflicts(l, p);
  CHECK(p.total_bytes == 768);
  CHECK(arena_lower_bound(l) == 768);
}

TEST_CASE("arena_plan reuses memory of dead buffers and adds tail padding") {
  std::vector<BufferLifetime> l = {{100, 0, 0}, {100, 1, 1}, {100, 2, 2}};
  ArenaPlan p = arena_plan(l);  // 100 + 64 padding -> 192 each, all can share
  check_no_conflicts(l, p);
  CHECK(p.total_bytes == 192);
  CHECK(p.offsets[0] == p.offsets[1]);
}

TEST_CASE("arena_plan keeps a skip connection alive across its span") {
  // x lives 0..3 (skip), others short: x cannot share with anything.
  std::vector<BufferLifetime> l = {{640, 0, 3}, {320, 1, 1}, {320, 2, 2}, {64, 3, 3}};
  ArenaPlan p = arena_plan(l, 64, 0);
  check_no_conflicts(l, p);
  CHECK(p.total_bytes == 960);
}

TEST_CASE("arena_plan never conflicts on random lifetimes and stays near the bound") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<BufferLifetime> l;
    int n = 1 + static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) {
      int a = static_cast<int>(rng() % 20);
      int b = a + static_cast<int>(rng() % 6);
      l.push_back({static_cast<size_t>(rng() % 5000), a, b});
    }
    ArenaPlan p = arena_plan(l);
    check_no_conflicts(l, p);
    CHECK(p.total_bytes >= arena_lower_bound(l));
  }
}
