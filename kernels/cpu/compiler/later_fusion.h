// Fusions into a *later* node of a cpu range: the node's kernel also does the
// work of up to two earlier nodes (`parts`), which run nothing; their reads
// count at the later node's step for the arena's lifetimes. Three patterns:
// - MobileNet's inverted residual block: a 1x1 expansion whose output only a
//   depthwise conv reads, whose output only a 1x1 projection on the own GEMM
//   reads; the projection runs the block row by row (inverted_residual.cc);
// - ShuffleNet's channel shuffle: Reshape [N, C, H, W] -> [N, G, C/G, H, W],
//   Transpose (0, 2, 1, 3, 4), Reshape back; the last Reshape runs one channel
//   shuffle per NHWC pixel from the first one's input (channel_shuffle.cc);
// - x * gate(x), gate Sigmoid (SiLU) or HardSigmoid (exported HardSwish), the
//   gate read only by the Mul; the Mul runs one pass from x (gated_activation.cc).
#pragma once

#include <array>
#include <vector>

#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {

// What the compiler knows about a range [first, last) when it plans them.
struct RangeFacts {
  const Graph& g;
  int first, last;
  const CpuKernelOptions& options;     // options.threads: the pool's threads
  std::vector<CpuOpSupport>& support;  // per node of the range; fused nodes get new factories
  const std::vector<int>& producer;    // per tensor: node index, -1 range input, -2 outside
  const std::vector<std::vector<int>>& readers;   // per tensor: nodes of the range
  const std::vector<bool>& is_output;             // per tensor: a range output
  const std::vector<FusedActivation>& fused_act;  // per node: activation fused into it
  std::vector<char> is_nhwc;                      // per tensor: a local 4-D activation stored NHWC
  std::vector<char> own_root;                     // per tensor: in its own buffer (no concat view)
};

struct LaterFusions {
  std::vector<int> absorbed_by;           // per node: the node doing its work, or -1
  std::vector<std::array<int, 2>> parts;  // per node: the (up to two) nodes it absorbs
  std::vector<KernelFactory> unfused;     // per fusing node: its own factory
};

// Plans the fusions and sets support[node].factory (and workspace) of the fusing
// nodes to the fused kernels' factories.
LaterFusions plan_later_fusions(const RangeFacts& facts);

}  // namespace tandem::cpu
