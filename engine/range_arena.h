// Activation storage for a compiled node range: one arena planned by
// arena_plan over the lifetimes of the tensors the range produces.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "graph/graph.h"

namespace tandem {

class RangeArena {
 public:
  // Plans and allocates storage for every tensor produced by nodes [first, last)
  // (float32, `elements_of` each). Fails on shape overflow or when the arena
  // would exceed `max_bytes` (0 = no limit).
  static Expected<RangeArena> create(const Graph& g, int first, int last, size_t max_bytes = 0);

  // Storage of tensor `id` (nullptr when the range does not produce it).
  float* data(int id) const { return ptr_[static_cast<size_t>(id)]; }
  size_t bytes() const { return bytes_; }

 private:
  std::shared_ptr<float> storage_;  // 64-byte aligned
  std::vector<float*> ptr_;         // per tensor id
  size_t bytes_ = 0;
};

// Allocates `bytes` aligned to 64 bytes, freed by the returned pointer's deleter.
std::shared_ptr<float> aligned_float_buffer(size_t bytes);

}  // namespace tandem
