// What the cpu compiler decides about a node range [first, last) before it
// makes any kernel: per tensor where it lives, per node whether it runs natively,
// and the fusion groups (one kernel doing several nodes' work). Filled phase by
// phase (cpu_executable.cc): analyse, place concats, plan fusions; then the
// arena and the kernels are made from it.
#pragma once

#include <vector>

#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {

// Where a tensor lives: `root` tensor's buffer, `offset` floats into each pixel.
struct Placement {
  int root = -1;
  int64_t offset = 0;
  int64_t stride = 0;  // pixel stride (NHWC) in floats
};

// One kernel doing the work of several nodes (fusion.cc plans them):
// - `absorbed`: earlier nodes whose work it does, in graph order (an inverted
//   residual block's expansion and depthwise conv, a shuffle's Reshape and
//   Transpose, a SiLU's gate); they run nothing, and the reads of their inputs
//   count at the kernel node's step. The kernel gets them as KernelArgs::absorbed.
// - `epilogue`: a later node (Relu/Clip after a BatchNormalization, a residual
//   Add after a GEMM conv) whose work the kernel does in its epilogue, writing
//   that node's output; it runs nothing when the kernel node runs natively.
struct FusionGroup {
  int kernel_node = -1;
  std::vector<int> absorbed;
  int epilogue = -1;
  FusedActivation activation;  // applied by the kernel (KernelArgs::activation)
  int residual = -1;           // tensor it adds before `activation` (KernelArgs::residual)
  // A SiLU in the epilogue: the Sigmoid gate (a second epilogue node, `epilogue`
  // being the Mul) whose x * sigmoid(x) the kernel applies (KernelArgs::silu).
  int gate = -1;
  int bias = -1;  // constant row the GEMM adds as its bias (MatMul -> Add, KernelArgs::bias)
  // With absorbed nodes: the kernel that does them, its scratch, and whether it
  // is an inverted residual block (counted by cpu_fused_blocks).
  KernelFactory fused_factory = nullptr;
  size_t fused_workspace_floats = 0;
  bool is_block = false;
};

struct RangePlan {
  RangePlan(const Graph& graph, int first_node, int last_node, const CpuKernelOptions& opts)
      : g(graph), first(first_node), last(last_node), options(opts) {}

  const Graph& g;
  int first, last;
  CpuKernelOptions options;  // options.threads: the pool's threads
  RangeIO io;

  // Per node of the range (index node - first).
  std::vector<CpuOpSupport> support;  // factory nullptr: the reference fallback
  std::vector<int> group_of;          // the fusion group the node is part of, or -1
  // Per tensor.
  std::vector<int> producer;              // node index, -1 range input, -2 outside
  std::vector<std::vector<int>> readers;  // non-constant reads by nodes of the range
  std::vector<bool> is_output;            // a range output
  std::vector<bool> local;                // produced in the range or a range input
  std::vector<bool> keep_nchw;            // a range input left in the caller's layout
  std::vector<bool> image;                // a 4-D image, not a logical 4-D tensor (image_layout.h)
  std::vector<Placement> place;           // local tensors
  std::vector<FusionGroup> groups;

  const CpuOpSupport& sup(int node) const { return support[size_t(node - first)]; }
  // A local 4-D float or int8 activation stored NHWC.
  bool is_nhwc(int t) const;
  // Read by exactly one node of the range, not a range output, in its own buffer.
  bool sole_reader(int t) const {
    return readers[size_t(t)].size() == 1 && !is_output[size_t(t)] && place[size_t(t)].root == t;
  }
  const FusionGroup* group(int node) const {
    const int k = group_of[size_t(node - first)];
    return k < 0 ? nullptr : &groups[size_t(k)];
  }
  // The group whose kernel node `node` is, created on first use (node must not be
  // part of another group).
  FusionGroup& group_at(int node);
  // The activation fused into node's kernel (none when it is no kernel node).
  FusedActivation activation_of(int node) const;
  // The later node whose kernel does node's work, or -1.
  int absorbed_by(int node) const;
  // The node whose kernel does node's work as its epilogue, or -1.
  int epilogue_of(int node) const;
  // The node at whose step node runs (its absorber, or itself).
  int runs_at(int node) const {
    const int a = absorbed_by(node);
    return a >= 0 ? a : node;
  }
};

// Phases (range_plan.cc, fusion.cc), in this order.
// Support per node (shapes checked), producers, readers, range io.
Status analyse_range(RangePlan& plan);
// Concat inputs written in place, everything else in its own buffer.
void place_tensors(RangePlan& plan);
// Fusions into a producer's epilogue, then into a later node's kernel.
void plan_fusions(RangePlan& plan);

}  // namespace tandem::cpu
