// Liveness-based arena planning: a pure function over buffer lifetimes.
#pragma once

#include <cstddef>
#include <vector>

namespace tandem {

// A buffer needed from step first_use to step last_use, inclusive.
struct BufferLifetime {
  size_t bytes = 0;
  int first_use = 0;
  int last_use = 0;
};

struct ArenaPlan {
  std::vector<size_t> offsets;  // one per lifetime, multiples of `alignment`
  size_t total_bytes = 0;       // arena size, including tail padding
};

constexpr size_t kArenaAlignment = 64;
// Extra bytes after every buffer so SIMD kernels may over-read.
constexpr size_t kArenaTailPadding = 64;

// Places buffers so that two buffers alive at the same step never overlap.
// Greedy by size (largest first) into the lowest gap that fits: the approach
// of TFLite's arena planner, optimal on the cases tests check by hand.
ArenaPlan arena_plan(const std::vector<BufferLifetime>& lifetimes,
                     size_t alignment = kArenaAlignment, size_t tail_padding = kArenaTailPadding);

// Largest sum of bytes alive at one step: a lower bound on any plan's total.
size_t arena_lower_bound(const std::vector<BufferLifetime>& lifetimes);

}  // namespace tandem
