// tandem quantize's graph rewrite (docs/int8.md, "tandem quantize"): float ops
// put in the QDQ form ONNX Runtime's quantize_static writes, from calibrated
// activation ranges, so pass_fuse_qdq turns them into int8 ops exactly as it
// does for an imported QDQ model: Conv and Gemm (with a fused Relu/Clip), Add,
// Concat, MaxPool and GlobalAveragePool.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/quant_params.h"

namespace tandem::quant {

// `ranges[t]` is tensor t's calibrated range (unseen: not quantized). Each Conv
// (or Gemm with transB) with constant float weights (and bias), a calibrated
// input and output, and a name not in `keep_fp32` becomes
//   Q -> DQ(x), DQ(int8 W per channel), DQ(int32 B) -> Conv [-> Relu|Clip] -> Q -> DQ
// writing its original output tensor; Add (same shapes; a fused Relu only where
// the output's zero point -128 makes saturation the Relu), Concat, MaxPool (its
// output keeps its input's quantization) and GlobalAveragePool over calibrated
// activations become DQ(x_i) -> op -> Q -> DQ. Each activation is quantized once
// however many int8 ops read it. Returns how many nodes it rewrote.
Expected<int> rewrite_to_qdq(Graph& g, const std::vector<MinMax>& ranges,
                             const std::set<std::string>& keep_fp32);

// Q(DQ(q)) with q's own quantization is q: readers of the Q's output read q
// (the round trip between two chained int8 ops). Dead nodes are left for
// pass_eliminate_dead. Returns how many it folded.
int fold_dequant_quant(Graph& g);

}  // namespace tandem::quant
