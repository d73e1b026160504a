#include "kernels/cpu/compiler/image_layout.h"

#include <numeric>

namespace tandem::cpu {
namespace {

bool image_op(OpType op) {
  switch (op) {
    case OpType::kConv:
    case OpType::kQConv:
    case OpType::kBatchNormalization:
    case OpType::kMaxPool:
    case OpType::kAveragePool:
    case OpType::kGlobalAveragePool:
    case OpType::kGlobalMaxPool:
    case OpType::kQMaxPool:
    case OpType::kQGlobalAveragePool:
    case OpType::kResize:
      return true;
    default:
      return false;
  }
}

// Nodes whose 4-D kernels work along the last logical axis (never NHWC storage):
// MatMul, Gather, and Softmax / LayerNormalization over the last axis.
bool logical_node(const Node& n) {
  switch (n.op) {
    case OpType::kMatMul:
    case OpType::kGather:
      return true;
    case OpType::kSoftmax:
      return n.attrs.axis == 3;
    case OpType::kLayerNormalization:
      return !n.attrs.axes.empty() && n.attrs.axes.back() == 3;
    default:
      return false;
  }
}

bool changes_layout(OpType op) {
  return op == OpType::kTranspose || op == OpType::kReshape || op == OpType::kFlatten;
}

bool activation_4d(const Graph& g, int t) {
  return t >= 0 && g.tensor(t).shape.size() == 4 && !g.tensor(t).is_constant();
}

int find(std::vector<int>& parent, int t) {
  while (parent[size_t(t)] != t) t = parent[size_t(t)] = parent[size_t(parent[size_t(t)])];
  return t;
}

}  // namespace

std::vector<bool> image_layout_tensors(const Graph& g) {
  const size_t nt = g.tensors.size();
  std::vector<int> parent(nt);
  std::iota(parent.begin(), parent.end(), 0);
  std::vector<bool> seeded(nt, false), wants_logical(nt, false);
  for (const Node& n : g.nodes) {
    if (changes_layout(n.op)) continue;
    int first = -1;
    auto tie = [&](int t) {
      if (!activation_4d(g, t)) return;
      if (image_op(n.op)) seeded[size_t(t)] = true;
      if (logical_node(n)) wants_logical[size_t(t)] = true;
      if (first < 0)
        first = t;
      else
        parent[size_t(find(parent, t))] = find(parent, first);
    };
    for (int t : n.inputs) tie(t);
    for (int t : n.outputs) tie(t);
  }
  std::vector<bool> image_class(nt, false), logical_class(nt, false);
  for (size_t t = 0; t < nt; ++t) {
    if (seeded[t]) image_class[size_t(find(parent, int(t)))] = true;
    if (wants_logical[t]) logical_class[size_t(find(parent, int(t)))] = true;
  }
  std::vector<bool> image(nt, false);
  for (size_t t = 0; t < nt; ++t) {
    const size_t c = size_t(find(parent, int(t)));
    image[t] = activation_4d(g, int(t)) && (image_class[c] || !logical_class[c]);
  }
  return image;
}

}  // namespace tandem::cpu
