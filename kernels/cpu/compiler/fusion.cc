// The fusion groups of a cpu range (range_plan.h: FusionGroup). Fusions the
// graph passes cannot do, because they depend on the cpu kernels:
// - into a producer's epilogue: BatchNormalization -> Relu/Clip (DenseNet's
//   pre-activation, which no pass folds), Conv -> Add (ResNet's residual, on the
//   GEMM conv), Conv -> Sigmoid -> Mul (SiLU, on the GEMM and Winograd convs),
//   GEMM conv -> Gelu (ConvNeXt's MLP), MatMul -> Add of a bias row (ViT's
//   Linear layers, on the own GEMM);
// - into a later node's kernel: MobileNet's inverted residual block (the
//   projection runs the block row by row, inverted_residual.cc), ShuffleNet's
//   channel shuffle (channel_shuffle.cc), x * gate(x) with a Sigmoid (SiLU) or
//   HardSigmoid (exported HardSwish) gate (gated_activation.cc).
#include <algorithm>
#include <limits>

#include "kernels/cpu/compiler/range_plan.h"

namespace tandem::cpu {
namespace {

// The kernel node, whose output `t` only the epilogue node reads, writes the
// epilogue node's output instead.
void join_epilogue(RangePlan& p, int kernel_node, int t, int epilogue, FusedActivation act,
                   int residual) {
  p.place[size_t(t)] = p.place[size_t(p.g.nodes[size_t(epilogue)].outputs[0])];
  FusionGroup& grp = p.group_at(kernel_node);
  grp.epilogue = epilogue;
  grp.activation = act;
  grp.residual = residual;
  p.group_of[size_t(epilogue - p.first)] = p.group_of[size_t(kernel_node - p.first)];
}

// BatchNormalization -> Relu/Clip: the norm applies the clamp and writes the
// activation's output.
void fuse_norm_activations(RangePlan& p) {
  const Graph& g = p.g;
  for (int j = p.first; j < p.last; ++j) {
    const Node& n = g.nodes[size_t(j)];
    if ((n.op != OpType::kRelu && n.op != OpType::kClip) || !p.sup(j).factory) continue;
    const int t = n.inputs[0];
    const int prod = p.producer[size_t(t)];
    if (prod < p.first || g.nodes[size_t(prod)].op != OpType::kBatchNormalization ||
        !p.sup(prod).factory || !p.sole_reader(t) || p.group(prod))
      continue;
    const FusedActivation act = n.op == OpType::kRelu
                                    ? FusedActivation{0.0f, std::numeric_limits<float>::infinity()}
                                    : FusedActivation{n.attrs.clip_min, n.attrs.clip_max};
    join_epilogue(p, prod, t, j, act, -1);
  }
}

// Conv -> Add (QConv -> QAdd): when the later of the Add's two producers has a kernel that adds
// a residual (CpuOpSupport::adds_residual: the GEMM conv) and no activation of
// its own, it adds the other operand in its epilogue, applies the Add's
// activation and writes the Add's output; the Add does nothing.
void fuse_residual_adds(RangePlan& p) {
  const Graph& g = p.g;
  if (!p.options.fuse_residual) return;
  for (int j = p.first; j < p.last; ++j) {
    const Node& n = g.nodes[size_t(j)];
    const bool add = n.op == OpType::kAdd || n.op == OpType::kQAdd;  // QAdd: int8 (docs/int8.md)
    if (!add || n.inputs.size() != 2 || !p.sup(j).factory) continue;
    const int out = n.outputs[0];
    int t = n.inputs[0], other = n.inputs[1];
    if (p.producer[size_t(other)] > p.producer[size_t(t)]) std::swap(t, other);
    const int prod = p.producer[size_t(t)];
    if (prod < p.first || t == other || !p.sup(prod).adds_residual) continue;
    if (g.nodes[size_t(prod)].attrs.activation.active() || p.activation_of(prod).active() ||
        (p.group(prod) && p.group(prod)->epilogue >= 0))
      continue;
    if (!p.is_nhwc(other) || !p.is_nhwc(out) || g.tensor(other).shape != g.tensor(out).shape ||
        g.tensor(t).shape != g.tensor(out).shape)
      continue;
    if (!p.sole_reader(t) || p.place[size_t(other)].root == p.place[size_t(out)].root) continue;
    join_epilogue(p, prod, t, j, n.attrs.activation, other);
  }
}

// GEMM conv -> Gelu (ConvNeXt's and ViT's first Linear): the GEMM applies GELU to
// each finished tile row while it is in L1 and writes the Gelu's output; the Gelu
// does nothing. Saves a pass that reads and writes the 4C-wide tensor.
void fuse_gelu_epilogues(RangePlan& p) {
  const Graph& g = p.g;
  for (int j = p.first; j < p.last; ++j) {
    const Node& n = g.nodes[size_t(j)];
    if (n.op != OpType::kGelu || n.inputs.size() != 1 || !p.sup(j).factory) continue;
    const int t = n.inputs[0];
    const int prod = p.producer[size_t(t)];
    if (prod < p.first || !p.sup(prod).adds_residual || p.group(prod) ||
        g.nodes[size_t(prod)].attrs.activation.active())
      continue;
    if (!p.sole_reader(t) || !p.is_nhwc(t) || !p.is_nhwc(n.outputs[0])) continue;
    join_epilogue(p, prod, t, j, FusedActivation{}, -1);
  }
}

// True when constant `c` is one row of `n` values broadcast over a [.., n] output.
bool is_bias_row(const Graph& g, int c, int64_t n) {
  const Tensor& t = g.tensor(c);
  if (!t.is_constant() || t.dtype != DType::kFloat32 || t.shape.empty() || t.shape.back() != n)
    return false;
  return shape_elements(t.shape) == n;
}

// MatMul on the own GEMM -> Add of a constant row (a Linear's bias as exported: ViT's
// projections and MLP): the GEMM adds it as its packed bias and writes the Add's
// output; the Add does nothing.
void fuse_matmul_biases(RangePlan& p) {
  const Graph& g = p.g;
  for (int j = p.first; j < p.last; ++j) {
    const Node& n = g.nodes[size_t(j)];
    if (n.op != OpType::kAdd || n.inputs.size() != 2 || !p.sup(j).factory) continue;
    for (int k = 0; k < 2; ++k) {
      const int t = n.inputs[size_t(k)], c = n.inputs[size_t(1 - k)];
      const int prod = p.producer[size_t(t)];
      if (prod < p.first || !p.sup(prod).adds_bias || p.group(prod) ||
          g.nodes[size_t(prod)].attrs.activation.active())
        continue;
      const Shape& y = g.tensor(n.outputs[0]).shape;
      if (g.tensor(t).shape != y || y.empty() || !is_bias_row(g, c, y.back()) ||
          !p.sole_reader(t) || p.is_nhwc(t) || p.is_nhwc(n.outputs[0]))
        continue;
      join_epilogue(p, prod, t, j, n.attrs.activation, -1);
      p.group_at(prod).bias = c;
      break;
    }
  }
}

// The kernel node's kernel also does `absorbed` (earlier nodes, graph order).
FusionGroup& absorb(RangePlan& p, int kernel_node, std::vector<int> absorbed,
                    KernelFactory factory) {
  FusionGroup& grp = p.group_at(kernel_node);
  grp.absorbed = std::move(absorbed);
  grp.fused_factory = factory;
  for (int a : grp.absorbed)
    p.group_of[size_t(a - p.first)] = p.group_of[size_t(kernel_node - p.first)];
  return grp;
}

// In its own buffer, read by one node only, NHWC: what a block's convs pass on.
bool block_link(const RangePlan& p, int t) {
  return p.sole_reader(t) && p.is_nhwc(t);
}

// MobileNet's inverted residual block: a 1x1 expansion whose output only a
// depthwise conv reads, whose output only a 1x1 projection on the own GEMM
// reads. A block without expansion (the first of MobileNetV2, MnasNet,
// MobileNetV3: depthwise -> projection) fuses the same way, its depthwise conv
// reading the block's input rows directly; its projection may be on XNNPACK
// alone (16 outputs), in the block it is on the own GEMM. (The expansion may be
// on XNNPACK alone too, as with few input channels.)
void fuse_inverted_residuals(RangePlan& p) {
  const Graph& g = p.g;
  const CpuKernelOptions& o = p.options;
  if (!o.fuse_blocks || o.gemm == CpuKernelOptions::Gemm::kXnnpack) return;
  for (int j = p.first; j < p.last; ++j) {
    const Node& n = g.nodes[size_t(j)];
    if (n.op != OpType::kConv || !p.sup(j).factory) continue;
    const int d = p.producer[size_t(n.inputs[0])];
    if (d < p.first || !block_link(p, n.inputs[0]) || !p.sup(d).factory) continue;
    const Node& dn = g.nodes[size_t(d)];
    if (dn.op != OpType::kConv || p.activation_of(d).active()) continue;
    const int e = p.producer[size_t(dn.inputs[0])];
    const bool expansion = e >= p.first && block_link(p, dn.inputs[0]) && p.sup(e).factory &&
                           !p.activation_of(e).active() && !p.group(e) &&
                           p.is_nhwc(g.nodes[size_t(e)].inputs[0]) &&
                           p.sup(j).factory == make_gemm_conv &&
                           inverted_residual_fusable(g, &g.nodes[size_t(e)], dn, n, o.isa);
    if (!expansion &&
        !(p.is_nhwc(dn.inputs[0]) && inverted_residual_fusable(g, nullptr, dn, n, o.isa)))
      continue;
    FusionGroup& grp = absorb(p, j, expansion ? std::vector<int>{e, d} : std::vector<int>{d},
                              make_inverted_residual);
    grp.is_block = true;
    grp.fused_workspace_floats = std::max(
        p.sup(j).workspace_floats, inverted_residual_workspace_floats(g, dn, expansion, o.threads));
  }
}

// Read by one node only and not a range output.
bool single_use(const RangePlan& p, int t) {
  return p.readers[size_t(t)].size() == 1 && !p.is_output[size_t(t)];
}

// Channel shuffle (ShuffleNet): Reshape [N, C, H, W] -> [N, G, C/G, H, W],
// Transpose (0, 2, 1, 3, 4), Reshape back to [N, C, H, W]. On NHWC data that is
// one channel shuffle per pixel, which the last Reshape runs from the first
// one's input; the first Reshape and the Transpose do nothing.
void fuse_channel_shuffles(RangePlan& p) {
  const Graph& g = p.g;
  for (int j = p.first; j < p.last; ++j) {
    const Node& r2 = g.nodes[size_t(j)];
    if (r2.op != OpType::kReshape || !p.sup(j).factory) continue;
    const int t2 = r2.inputs[0], tp = p.producer[size_t(t2)];
    if (tp < p.first || !single_use(p, t2)) continue;
    const int t1 = g.nodes[size_t(tp)].inputs[0], r1 = p.producer[size_t(t1)];
    if (r1 < p.first || !single_use(p, t1)) continue;
    const int t0 = g.nodes[size_t(r1)].inputs[0];
    if (!p.is_nhwc(t0) || !p.is_nhwc(r2.outputs[0]) || p.absorbed_by(r1) >= 0 ||
        p.absorbed_by(tp) >= 0 ||
        !is_channel_shuffle(g, g.nodes[size_t(r1)], g.nodes[size_t(tp)], r2))
      continue;
    absorb(p, j, {r1, tp}, make_channel_shuffle);
  }
}

// Conv -> SiLU (YOLO, EfficientNet): a Sigmoid gate and the Mul(x, gate) whose x
// a conv that applies SiLU in its epilogue (CpuOpSupport::applies_silu) produces,
// with no activation or epilogue of its own and read by those two nodes only: the
// conv writes x * sigmoid(x) into the Mul's output; the gate and the Mul do nothing.
void fuse_conv_silu(RangePlan& p) {
  const Graph& g = p.g;
  if (!p.options.fuse_silu) return;
  for (int j = p.first; j < p.last; ++j) {
    const Node& mul = g.nodes[size_t(j)];
    if (mul.op != OpType::kMul || !p.sup(j).factory || mul.inputs.size() != 2 || p.group(j))
      continue;
    for (int s : mul.inputs) {
      const int gate = p.producer[size_t(s)];
      if (gate < p.first || g.nodes[size_t(gate)].op != OpType::kSigmoid || !single_use(p, s) ||
          p.group(gate))
        continue;
      const int x = gated_input(g, g.nodes[size_t(gate)], mul);
      const int conv = x < 0 ? -1 : p.producer[size_t(x)];
      if (conv < p.first || !p.sup(conv).applies_silu || p.group(conv) ||
          g.nodes[size_t(conv)].attrs.activation.active())
        continue;
      if (p.readers[size_t(x)].size() != 2 || p.is_output[size_t(x)] ||
          p.place[size_t(x)].root != x || !p.is_nhwc(x) || !p.is_nhwc(mul.outputs[0]))
        continue;
      join_epilogue(p, conv, x, j, FusedActivation{}, -1);
      p.groups[size_t(p.group_of[size_t(conv - p.first)])].gate = gate;
      p.group_of[size_t(gate - p.first)] = p.group_of[size_t(conv - p.first)];
      break;
    }
  }
}

// SiLU (EfficientNet) and HardSwish as exported at opset 13 (MobileNetV3):
// Sigmoid or HardSigmoid (x) -> Mul(x, that) with the gate read only there: the
// Mul runs x * gate(x) in one pass from x; the gate node does nothing.
void fuse_gated_activations(RangePlan& p) {
  const Graph& g = p.g;
  for (int j = p.first; j < p.last; ++j) {
    const Node& mul = g.nodes[size_t(j)];
    if (mul.op != OpType::kMul || !p.sup(j).factory || mul.inputs.size() != 2 || p.group(j))
      continue;
    for (int s : mul.inputs) {
      const int gate = p.producer[size_t(s)];
      if (gate < p.first || !p.sup(gate).factory || !single_use(p, s) || p.group(gate)) continue;
      const int x = gated_input(g, g.nodes[size_t(gate)], mul);
      if (x < 0 || p.is_nhwc(x) != p.is_nhwc(mul.outputs[0])) continue;
      absorb(p, j, {gate}, make_gated);
      break;
    }
  }
}

}  // namespace

void plan_fusions(RangePlan& p) {
  fuse_norm_activations(p);
  fuse_residual_adds(p);
  fuse_gelu_epilogues(p);
  fuse_matmul_biases(p);
  fuse_inverted_residuals(p);
  fuse_channel_shuffles(p);
  fuse_conv_silu(p);
  fuse_gated_activations(p);
}

}  // namespace tandem::cpu
