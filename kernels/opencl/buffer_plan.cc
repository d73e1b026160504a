#include "kernels/opencl/buffer_plan.h"

#include <algorithm>
#include <map>

#include "engine/memory_planner.h"

namespace tandem::ocl {

bool is_alias_node(const Graph& g, const Node& n) {
  const bool kind =
      n.op == OpType::kReshape || n.op == OpType::kFlatten || n.op == OpType::kIdentity;
  return kind && !n.inputs.empty() && n.inputs[0] >= 0 && !g.tensor(n.inputs[0]).is_constant() &&
         n.outputs.size() == 1;
}

namespace {

// A tensor that lives inside another (an alias, or a slice of a concat's output).
struct Link {
  int target = -1;
  int64_t offset = 0;
};

// The aliases and in-place concat inputs of nodes [first, last), per tensor;
// counts the concat inputs written in place into `*in_place`.
std::vector<Link> link_tensors(const Graph& g, int first, int last,
                               const std::vector<int>& producer, int* in_place) {
  std::vector<Link> link(g.tensors.size());
  for (int i = first; i < last; ++i) {
    const Node& n = g.nodes[size_t(i)];
    if (is_alias_node(g, n)) {
      link[size_t(n.outputs[0])] = {n.inputs[0], 0};
      continue;
    }
    if (n.op != OpType::kConcat || n.outputs.size() != 1) continue;
    const Shape& ys = g.tensor(n.outputs[0]).shape;
    const size_t axis = size_t(n.attrs.axis);
    int64_t outer = 1;
    for (size_t d = 0; d < axis && d < ys.size(); ++d) outer *= ys[d];
    if (outer != 1) continue;  // slices are not contiguous: inputs get copied
    int64_t cum = 0;
    for (int t : n.inputs) {
      const int p = producer[size_t(t)];
      const bool eligible = p >= first && p < i && !is_alias_node(g, g.nodes[size_t(p)]) &&
                            link[size_t(t)].target < 0 && !g.tensor(t).is_constant();
      if (eligible) {
        link[size_t(t)] = {n.outputs[0], cum};
        ++*in_place;
      }
      cum += shape_elements(g.tensor(t).shape);
    }
  }
  return link;
}

}  // namespace

BufferPlan plan_device_buffers(const Graph& g, int first, int last, const RangeIO& io,
                               size_t element_size) {
  const std::vector<int> producer = tensor_producers(g);
  const std::vector<int> last_use = tensor_last_use(g);
  BufferPlan plan;
  // Alias or concat slice: lives inside `target`.
  const std::vector<Link> link =
      link_tensors(g, first, last, producer, &plan.in_place_concat_inputs);
  // Storage groups for tensors that own their bytes.
  plan.place.assign(g.tensors.size(), TensorPlace{});
  std::vector<int> group_of(g.tensors.size(), -1);
  auto own = [&](int t) {
    if (group_of[size_t(t)] >= 0 || link[size_t(t)].target >= 0) return;
    group_of[size_t(t)] = static_cast<int>(plan.group_elements.size());
    plan.group_elements.push_back(std::max<int64_t>(shape_elements(g.tensor(t).shape), 1));
  };
  for (int t : io.inputs) own(t);
  for (int i = first; i < last; ++i)
    for (int t : g.nodes[size_t(i)].outputs) own(t);
  auto root = [&](int t) {
    TensorPlace p;
    while (link[size_t(t)].target >= 0) {
      p.offset += link[size_t(t)].offset;
      t = link[size_t(t)].target;
    }
    p.group = group_of[size_t(t)];
    return p;
  };
  const int steps = last - first;
  std::vector<BufferLifetime> life(plan.group_elements.size());
  std::vector<bool> touched(plan.group_elements.size(), false);
  auto touch = [&](int t) {
    TensorPlace p = root(t);
    if (p.group < 0) return;
    plan.place[size_t(t)] = p;
    const int prod = producer[size_t(t)];
    const int def = prod >= first && prod < last ? prod - first : 0;
    int end = last_use[size_t(t)] >= last ? steps : last_use[size_t(t)] - first;
    end = std::max(end, def);
    BufferLifetime& l = life[size_t(p.group)];
    if (!touched[size_t(p.group)]) {
      touched[size_t(p.group)] = true;
      l = {size_t(plan.group_elements[size_t(p.group)]) * element_size, def, end};
    } else {
      l.first_use = std::min(l.first_use, def);
      l.last_use = std::max(l.last_use, end);
    }
  };
  for (int t : io.inputs) touch(t);
  for (int i = first; i < last; ++i) {
    for (int t : g.nodes[size_t(i)].inputs)
      if (t >= 0 && !g.tensor(t).is_constant()) touch(t);
    for (int t : g.nodes[size_t(i)].outputs) touch(t);
  }
  ArenaPlan arena = arena_plan(life);
  plan.group_offset_bytes = arena.offsets;
  plan.arena_bytes = arena.total_bytes;
  return plan;
}

}  // namespace tandem::ocl
