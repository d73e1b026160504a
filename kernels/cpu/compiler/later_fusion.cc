// Fusions into a *later* node of a cpu range (see later_fusion.h).
#include "kernels/cpu/compiler/later_fusion.h"

#include <algorithm>

namespace tandem::cpu {

LaterFusions plan_later_fusions(const RangeFacts& r) {
  const Graph& g = r.g;
  const int first = r.first, last = r.last;
  const CpuKernelOptions& options = r.options;
  auto sup = [&](int node) -> CpuOpSupport& { return r.support[size_t(node - first)]; };
  const std::vector<int>& producer = r.producer;
  const std::vector<std::vector<int>>& readers = r.readers;
  const std::vector<bool>& is_output = r.is_output;
  const std::vector<FusedActivation>& fused_act = r.fused_act;
  auto is_nhwc = [&](int t) { return bool(r.is_nhwc[size_t(t)]); };
  auto sole_local_reader = [&](int t) {
    return readers[size_t(t)].size() == 1 && !is_output[size_t(t)] && r.own_root[size_t(t)] &&
           is_nhwc(t);
  };
  LaterFusions f;
  f.absorbed_by.assign(size_t(last - first), -1);
  f.parts.assign(size_t(last - first), {-1, -1});
  f.unfused.assign(size_t(last - first), nullptr);
  std::vector<int>& absorbed_by = f.absorbed_by;
  auto& parts = f.parts;
  auto& unfused = f.unfused;

  // MobileNet's inverted residual block: a 1x1 expansion whose output only a
  // depthwise conv reads, whose output only a 1x1 projection reads, the
  // projection on the own GEMM. The projection's kernel runs the block row by
  // row (inverted_residual.cc).
  // A block without expansion (the first of MobileNetV2, MnasNet, MobileNetV3:
  // depthwise -> projection) fuses the same way, its depthwise conv reading the
  // block's input rows directly; its projection may be on XNNPACK alone (16
  // outputs), in the block it is on the own GEMM. Measured (interleaved, 1 thread,
  // against the same graphs without this variant): MobileNetV3-Large 3.00 -> 2.93
  // ms, MnasNet 3.67 -> 3.60, MobileNetV2 3.27 -> 3.24, ShuffleNetV2 unchanged.
  for (int j = first; j < last; ++j) {
    const Node& n = g.nodes[size_t(j)];
    if (!options.fuse_blocks || options.gemm == CpuKernelOptions::Gemm::kXnnpack ||
        n.op != OpType::kConv || !sup(j).factory)
      continue;
    const int d = producer[size_t(n.inputs[0])];
    if (d < first || !sole_local_reader(n.inputs[0]) || !sup(d).factory) continue;
    const Node& dn = g.nodes[size_t(d)];
    if (dn.op != OpType::kConv || fused_act[size_t(d - first)].active()) continue;
    const int e = producer[size_t(dn.inputs[0])];
    // (The expansion may be on XNNPACK alone, as with few input channels; in the
    // block it is on the own GEMM.)
    const bool expansion = e >= first && sole_local_reader(dn.inputs[0]) && sup(e).factory &&
                           !fused_act[size_t(e - first)].active() &&
                           is_nhwc(g.nodes[size_t(e)].inputs[0]) &&
                           sup(j).factory == make_gemm_conv &&
                           inverted_residual_fusable(g, &g.nodes[size_t(e)], dn, n, options.isa);
    if (expansion) {
      absorbed_by[size_t(e - first)] = absorbed_by[size_t(d - first)] = j;
      parts[size_t(j - first)] = {e, d};
    } else if (is_nhwc(dn.inputs[0]) && inverted_residual_fusable(g, nullptr, dn, n, options.isa)) {
      absorbed_by[size_t(d - first)] = j;
      parts[size_t(j - first)] = {d, -1};
    } else {
      continue;
    }
    unfused[size_t(j - first)] = sup(j).factory;
    sup(j).factory = make_inverted_residual;
    sup(j).workspace_floats =
        std::max(sup(j).workspace_floats,
                 inverted_residual_workspace_floats(g, dn, expansion, options.threads));
  }

  // Channel shuffle (ShuffleNet): Reshape [N, C, H, W] -> [N, G, C/G, H, W],
  // Transpose (0, 2, 1, 3, 4), Reshape back to [N, C, H, W]. On NHWC data that is
  // one channel shuffle per pixel, which the last Reshape runs from the first
  // one's input; the first Reshape and the Transpose do nothing.
  for (int j = first; j < last; ++j) {
    const Node& r2 = g.nodes[size_t(j)];
    if (r2.op != OpType::kReshape || !sup(j).factory) continue;
    const int t2 = r2.inputs[0], tp = producer[size_t(t2)];
    if (tp < first || readers[size_t(t2)].size() != 1 || is_output[size_t(t2)]) continue;
    const int t1 = g.nodes[size_t(tp)].inputs[0], r1 = producer[size_t(t1)];
    if (r1 < first || readers[size_t(t1)].size() != 1 || is_output[size_t(t1)]) continue;
    const int t0 = g.nodes[size_t(r1)].inputs[0];
    if (!is_nhwc(t0) || !is_nhwc(r2.outputs[0]) || absorbed_by[size_t(r1 - first)] >= 0 ||
        absorbed_by[size_t(tp - first)] >= 0 ||
        !is_channel_shuffle(g, g.nodes[size_t(r1)], g.nodes[size_t(tp)], r2))
      continue;
    absorbed_by[size_t(r1 - first)] = absorbed_by[size_t(tp - first)] = j;
    parts[size_t(j - first)] = {r1, tp};
    unfused[size_t(j - first)] = sup(j).factory;
    sup(j).factory = make_channel_shuffle;
  }

  // SiLU (EfficientNet) and HardSwish as exported at opset 13 (MobileNetV3):
  // Sigmoid or HardSigmoid (x) -> Mul(x, that) with the gate read only there: the
  // Mul runs x * gate(x) in one pass from x; the gate node does nothing.
  for (int j = first; j < last; ++j) {
    const Node& mul = g.nodes[size_t(j)];
    if (mul.op != OpType::kMul || !sup(j).factory || mul.inputs.size() != 2) continue;
    for (int s : mul.inputs) {
      const int p = producer[size_t(s)];
      if (p < first || !sup(p).factory || readers[size_t(s)].size() != 1 || is_output[size_t(s)] ||
          absorbed_by[size_t(p - first)] >= 0)
        continue;
      const int x = gated_input(g, g.nodes[size_t(p)], mul);
      if (x < 0 || is_nhwc(x) != is_nhwc(mul.outputs[0])) continue;
      absorbed_by[size_t(p - first)] = j;
      parts[size_t(j - first)] = {p, -1};
      unfused[size_t(j - first)] = sup(j).factory;
      sup(j).factory = make_gated;
      break;
    }
  }
  return f;
}

}  // namespace tandem::cpu
