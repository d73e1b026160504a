// pass_fuse_qdq: ONNX QDQ groups -> int8 ops (docs/int8.md, "Converter").
// A float op whose activation inputs all come from DequantizeLinear of int8
// tensors, whose weights are DequantizeLinear of int8/int32 constants, and
// whose output (after an optional Relu/Clip) is read by exactly one
// QuantizeLinear becomes one int8 op writing that QuantizeLinear's output.
#include <algorithm>
#include <cmath>

#include "graph/passes.h"
#include "graph/quant_math.h"
#include "graph/quant_rules.h"
#include "graph/shape_inference.h"

namespace tandem {
namespace {

struct Uses {
  std::vector<int> producer;
  std::vector<std::vector<int>> readers;
  std::vector<bool> is_output;
};

Uses find_uses(const Graph& g) {
  Uses u{std::vector<int>(g.tensors.size(), -1), std::vector<std::vector<int>>(g.tensors.size()),
         std::vector<bool>(g.tensors.size(), false)};
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (int t : g.nodes[i].inputs)
      if (t >= 0) u.readers[size_t(t)].push_back(int(i));
    for (int t : g.nodes[i].outputs) u.producer[size_t(t)] = int(i);
  }
  for (int t : g.outputs) u.is_output[size_t(t)] = true;
  return u;
}

// The int8 tensor behind float tensor `t` when a DequantizeLinear produced it, else -1.
int dequantized_source(const Graph& g, const Uses& u, int t, bool constant) {
  if (t < 0 || u.producer[size_t(t)] < 0) return -1;
  const Node& d = g.nodes[size_t(u.producer[size_t(t)])];
  if (d.op != OpType::kDequantizeLinear) return -1;
  const Tensor& x = g.tensor(d.inputs[0]);
  if (x.is_constant() != constant) return -1;
  if (!constant && (x.dtype != DType::kInt8 || !x.quant.per_tensor())) return -1;
  return d.inputs[0];
}

// The one reader of `t` (not a graph output), or -1.
int sole_reader(const Uses& u, int t) {
  if (u.is_output[size_t(t)] || u.readers[size_t(t)].size() != 1) return -1;
  return u.readers[size_t(t)][0];
}

int32_t quantize_bound(float v, const Quantization& q) {
  return qmath::quantize(v, q.scale[0], q.zero_point[0]);
}

struct Group {
  int op_node = -1, act_node = -1, q_node = -1;
  int out = -1;  // the QuantizeLinear's int8 output
  int32_t qmin = -128, qmax = 127;
};

// F's output [-> Relu/Clip] -> QuantizeLinear; the clamp of Relu/Clip in int8.
bool find_output_side(const Graph& g, const Uses& u, int f, bool allow_act, Group* grp) {
  grp->op_node = f;
  int t = g.nodes[size_t(f)].outputs[0];
  int r = sole_reader(u, t);
  if (r < 0) return false;
  const Node* rn = &g.nodes[size_t(r)];
  if (allow_act && (rn->op == OpType::kRelu || rn->op == OpType::kClip)) {
    grp->act_node = r;
    t = rn->outputs[0];
    r = sole_reader(u, t);
    if (r < 0) return false;
  }
  const Node& q = g.nodes[size_t(r)];
  if (q.op != OpType::kQuantizeLinear) return false;
  grp->q_node = r;
  grp->out = q.outputs[0];
  if (grp->act_node >= 0) {
    const Node& a = g.nodes[size_t(grp->act_node)];
    const Quantization& qy = g.tensor(grp->out).quant;
    const float lo = a.op == OpType::kRelu ? 0.0f : a.attrs.clip_min;
    const float hi = a.op == OpType::kRelu ? INFINITY : a.attrs.clip_max;
    if (std::isfinite(lo)) grp->qmin = std::max<int32_t>(-128, quantize_bound(lo, qy));
    if (std::isfinite(hi)) grp->qmax = std::min<int32_t>(127, quantize_bound(hi, qy));
    if (grp->qmin > grp->qmax) return false;
  }
  return true;
}

// Weights: DequantizeLinear of an int8 constant, symmetric, per tensor or along `axis`.
int weight_source(const Graph& g, const Uses& u, int t, int axis) {
  const int w = dequantized_source(g, u, t, true);
  if (w < 0) return -1;
  const Tensor& wt = g.tensor(w);
  if (wt.dtype != DType::kInt8 || !(wt.quant.axis == -1 || wt.quant.axis == axis)) return -1;
  for (int32_t z : wt.quant.zero_point)
    if (z != 0) return -1;
  return w;
}

// Bias: DequantizeLinear of an int32 constant [M]; requantized to sx * sw[m]
// when given at another scale. -2 when the pattern does not hold.
int bias_tensor(Graph& g, const Uses& u, int t, int x, int w) {
  if (t < 0) return -1;
  const int b = dequantized_source(g, u, t, true);
  if (b < 0 || g.tensor(b).dtype != DType::kInt32) return -2;
  const Quantization qb = g.tensor(b).quant;
  const Quantization& qx = g.tensor(x).quant;
  const Quantization& qw = g.tensor(w).quant;
  const int64_t m = shape_elements(g.tensor(b).shape);
  std::vector<int32_t> v(static_cast<size_t>(m));
  Quantization want{{}, std::vector<int32_t>(static_cast<size_t>(m), 0), m > 1 ? 0 : -1};
  bool same = true;
  for (int64_t k = 0; k < m; ++k) {
    const float s = qx.scale[0] * (qw.scale.size() == 1 ? qw.scale[0] : qw.scale[size_t(k)]);
    const float sb = qb.scale.size() == 1 ? qb.scale[0] : qb.scale[size_t(k)];
    const int32_t zb = qb.zero_point.size() == 1 ? qb.zero_point[0] : qb.zero_point[size_t(k)];
    const int32_t raw = g.tensor(b).data->i32()[k];
    same &= s == sb && zb == 0;
    v[size_t(k)] = int32_t(std::nearbyint(double(raw - zb) * double(sb) / double(s)));
    want.scale.push_back(s);
  }
  if (same) return b;
  Tensor nb;
  nb.name = g.tensor(b).name + "_requantized";
  nb.dtype = DType::kInt32;
  nb.shape = g.tensor(b).shape;
  nb.quant = want;
  nb.data = ConstantData::from_int32(std::move(v));
  return g.add_tensor(std::move(nb));
}

// MatMul/Gemm weights [K, N] (per-channel along 1) as [N, K] (along 0).
int transposed_weights(Graph& g, int w) {
  const Tensor& src = g.tensor(w);
  const int64_t k = src.shape[0], n = src.shape[1];
  std::vector<int8_t> v(size_t(k * n));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j) v[size_t(j * k + i)] = src.data->i8()[i * n + j];
  Tensor t;
  t.name = src.name + "_transposed";
  t.dtype = DType::kInt8;
  t.shape = {n, k};
  t.quant = src.quant;
  if (t.quant.axis == 1) t.quant.axis = 0;
  t.data = ConstantData::from_int8(std::move(v));
  return g.add_tensor(std::move(t));
}

// The int8 inputs of a Conv, Gemm or MatMul group: x, W [M, ...], B; empty when no match.
std::vector<int> linear_inputs(Graph& g, const Uses& u, const Node& n) {
  const int x = dequantized_source(g, u, n.inputs[0], false);
  if (x < 0) return {};
  const bool conv = n.op == OpType::kConv;
  if (!conv) {
    const bool plain_gemm = n.op == OpType::kMatMul ||
                            (n.attrs.alpha == 1.0f && n.attrs.beta == 1.0f && !n.attrs.trans_a);
    if (!plain_gemm || g.tensor(x).shape.size() != 2) return {};
  }
  const bool kn = !conv && !(n.op == OpType::kGemm && n.attrs.trans_b);  // W is [K, N]
  int w = weight_source(g, u, n.inputs[1], kn ? 1 : 0);
  if (w < 0 || (!conv && g.tensor(w).shape.size() != 2)) return {};
  if (kn) w = transposed_weights(g, w);
  const int b = bias_tensor(g, u, n.inputs.size() > 2 ? n.inputs[2] : -1, x, w);
  if (b == -2) return {};
  std::vector<int> ins{x, w};
  if (b >= 0) ins.push_back(b);
  return ins;
}

// The int8 op for float op `n` and its int8 inputs (empty: no match).
OpType int8_inputs(Graph& g, const Uses& u, const Node& n, std::vector<int>* ins) {
  switch (n.op) {
    case OpType::kConv:
      *ins = linear_inputs(g, u, n);
      return OpType::kQConv;
    case OpType::kGemm:
    case OpType::kMatMul:
      *ins = linear_inputs(g, u, n);
      return OpType::kQGemm;
    case OpType::kAdd:
    case OpType::kConcat:
    case OpType::kMaxPool:
    case OpType::kGlobalAveragePool:
      for (int t : n.inputs) {
        const int x = dequantized_source(g, u, t, false);
        if (x < 0) return ins->clear(), OpType::kIdentity;
        ins->push_back(x);
      }
      if (n.op == OpType::kAdd && g.tensor((*ins)[0]).shape != g.tensor((*ins)[1]).shape)
        return ins->clear(), OpType::kIdentity;
      return n.op == OpType::kAdd       ? OpType::kQAdd
             : n.op == OpType::kConcat  ? OpType::kQConcat
             : n.op == OpType::kMaxPool ? OpType::kQMaxPool
                                        : OpType::kQGlobalAveragePool;
    default:
      return OpType::kIdentity;
  }
}

}  // namespace

Expected<int> pass_fuse_qdq(Graph& g) {
  return pass_fuse_qdq(g, {});
}

Expected<int> pass_fuse_qdq(Graph& g, const std::set<std::string>& keep_float) {
  std::vector<bool> dead(g.nodes.size(), false);
  int rewrites = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Uses u = find_uses(g);  // small graphs of QDQ groups: recomputed per candidate
    Group grp;
    // An activation fused by the float passes (a .tdm graph) is not the separate
    // Relu/Clip the patterns read: fusing would drop it.
    if (g.nodes[i].attrs.activation.active() || keep_float.count(g.nodes[i].name)) continue;
    const bool linear = g.nodes[i].op == OpType::kConv || g.nodes[i].op == OpType::kGemm ||
                        g.nodes[i].op == OpType::kMatMul;
    if (!find_output_side(g, u, int(i), linear, &grp)) continue;
    std::vector<int> ins;
    const OpType op = int8_inputs(g, u, g.nodes[i], &ins);
    if (ins.empty()) continue;
    Node& n = g.nodes[i];
    n.op = op;
    n.inputs = ins;
    n.outputs = {grp.out};
    n.attrs.qmin = grp.qmin;
    n.attrs.qmax = grp.qmax;
    dead[size_t(grp.q_node)] = true;
    if (grp.act_node >= 0) dead[size_t(grp.act_node)] = true;
    ++rewrites;
  }
  if (!rewrites) return 0;
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!dead[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
  TANDEM_RETURN_IF_ERROR(infer_shapes(g).with_context("fuse_qdq"));
  return rewrites;
}

}  // namespace tandem
