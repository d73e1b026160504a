#include "engine/range_arena.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "engine/memory_planner.h"

namespace tandem {

std::shared_ptr<float> aligned_float_buffer(size_t bytes) {
  size_t rounded = (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  if (rounded == 0) rounded = kArenaAlignment;
  void* p = std::aligned_alloc(kArenaAlignment, rounded);
  if (!p) return nullptr;
  return std::shared_ptr<float>(static_cast<float*>(p), [](float* q) { std::free(q); });
}

Expected<RangeArena> RangeArena::create(const Graph& g, int first, int last, size_t max_bytes) {
  RangeArena arena;
  arena.ptr_.assign(g.tensors.size(), nullptr);
  std::vector<int> last_use = tensor_last_use(g);
  std::vector<BufferLifetime> lifetimes;
  std::vector<int> ids;
  for (int i = first; i < last; ++i) {
    const Node& n = g.nodes[static_cast<size_t>(i)];
    for (int t : n.outputs) {
      int64_t elems = shape_elements(g.tensor(t).shape);
      if (elems < 0 || static_cast<uint64_t>(elems) > std::numeric_limits<size_t>::max() / 8)
        return resource_exhausted("tensor '" + g.tensor(t).name + "' of node '" + n.name +
                                  "' has an invalid or overflowing shape " +
                                  shape_to_string(g.tensor(t).shape));
      // Range outputs stay alive to the end of the range so they can be copied out.
      int use = last_use[static_cast<size_t>(t)];
      int end = use >= last ? last - 1 : std::max(i, use);
      lifetimes.push_back({static_cast<size_t>(elems) * dtype_size(g.tensor(t).dtype), i, end});
      ids.push_back(t);
    }
  }
  ArenaPlan plan = arena_plan(lifetimes);
  if (max_bytes && plan.total_bytes > max_bytes)
    return resource_exhausted("activations of nodes " + std::to_string(first) + ".." +
                              std::to_string(last - 1) + " need " +
                              std::to_string(plan.total_bytes) + " bytes, over the limit of " +
                              std::to_string(max_bytes));
  arena.bytes_ = plan.total_bytes;
  arena.storage_ = aligned_float_buffer(plan.total_bytes);
  if (!arena.storage_)
    return resource_exhausted("cannot allocate " + std::to_string(plan.total_bytes) +
                              " bytes of activations");
  char* base = reinterpret_cast<char*>(arena.storage_.get());
  for (size_t k = 0; k < ids.size(); ++k)
    arena.ptr_[static_cast<size_t>(ids[k])] = reinterpret_cast<float*>(base + plan.offsets[k]);
  return arena;
}

}  // namespace tandem
