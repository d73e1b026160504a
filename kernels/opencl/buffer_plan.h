// Where each activation of a compiled range lives in the range's one device
// arena: Reshape/Flatten/Identity share their input's storage, Concat inputs
// produced in the range are written straight into their slice of the output,
// and storage with disjoint lifetimes shares bytes (engine/memory_planner.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "graph/graph.h"

namespace tandem::ocl {

struct TensorPlace {
  int group = -1;      // -1: not an activation of this range (constant or outside)
  int64_t offset = 0;  // elements from the start of the group's storage
};

struct BufferPlan {
  std::vector<TensorPlace> place;       // per tensor id
  std::vector<int64_t> group_elements;  // storage groups
  std::vector<size_t> group_offset_bytes;
  size_t arena_bytes = 0;
  int in_place_concat_inputs = 0;
};

// True when `n`'s output is its input reinterpreted (no data movement).
bool is_alias_node(const Graph& g, const Node& n);

BufferPlan plan_device_buffers(const Graph& g, int first, int last, const RangeIO& io,
                               size_t element_size);

}  // namespace tandem::ocl
