#include "graph/quant_rewrite.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace tandem::quant {
namespace {

int add_like(Graph& g, int like, const std::string& suffix, DType dt, Quantization q) {
  Tensor t;
  t.name = g.tensor(like).name + suffix;
  t.shape = g.tensor(like).shape;
  t.dtype = dt;
  t.quant = std::move(q);
  return g.add_tensor(std::move(t));
}

Node make_node(const std::string& name, OpType op, std::vector<int> in, int out) {
  Node n;
  n.name = name;
  n.op = op;
  n.inputs = std::move(in);
  n.outputs = {out};
  return n;
}

// The rewrite's state: the nodes written so far, the quantization chosen for
// each activation tensor (its calibrated range, or its producer's choice: a
// MaxPool's output keeps its input's) and the dequantized copy of each tensor
// already made, so a tensor read by several int8 ops is quantized once.
struct Rewriter {
  Graph& g;
  const std::vector<MinMax>& ranges;
  std::vector<Node> out;
  std::map<int, Quantization> chosen;
  std::map<int, int> dequantized;

  Quantization quant_of(int t) const {
    auto it = chosen.find(t);
    if (it != chosen.end()) return it->second;
    return activation_quant(ranges[size_t(t)].min, ranges[size_t(t)].max);
  }
  bool calibrated(int t) const {
    return t >= 0 && !g.tensor(t).is_constant() && g.tensor(t).dtype == DType::kFloat32 &&
           ranges[size_t(t)].seen;
  }
  // Q then DQ of float activation t: returns the dequantized tensor.
  int quant_dequant(int t) {
    auto it = dequantized.find(t);
    if (it != dequantized.end()) return it->second;
    const Quantization q = quant_of(t);
    const int tq = add_like(g, t, "_q", DType::kInt8, q);
    const int td = add_like(g, t, "_dq", DType::kFloat32, {});
    out.push_back(make_node(g.tensor(t).name + "_quantize", OpType::kQuantizeLinear, {t}, tq));
    out.push_back(make_node(g.tensor(t).name + "_dequantize", OpType::kDequantizeLinear, {tq}, td));
    dequantized[t] = td;
    return td;
  }
  // Node n (inputs already rewritten) writes float c; then [act ->] Q(qy) -> DQ -> y.
  void finish(Node n, int y, const Quantization& qy, FusedActivation act) {
    const int c = add_like(g, y, "_float", DType::kFloat32, {});
    n.outputs = {c};
    int last = c;
    const std::string name = n.name;
    out.push_back(std::move(n));
    if (act.active()) {  // pass_fuse_qdq reads the clamp from a separate Relu/Clip
      const bool relu = act.min == 0.0f && act.max == FusedActivation{}.max;
      last = add_like(g, y, "_act", DType::kFloat32, {});
      Node a = make_node(name + "_act", relu ? OpType::kRelu : OpType::kClip, {c}, last);
      a.attrs.clip_min = act.min;
      a.attrs.clip_max = act.max;
      out.push_back(std::move(a));
    }
    const int yq = add_like(g, y, "_q", DType::kInt8, qy);
    out.push_back(make_node(name + "_quantize", OpType::kQuantizeLinear, {last}, yq));
    out.push_back(make_node(name + "_dequantize", OpType::kDequantizeLinear, {yq}, y));
    chosen[y] = qy;
    dequantized[y] = y;  // y itself is now DQ(yq)
  }
};

// A quantized constant read by a DequantizeLinear: returns the float tensor.
int dequantized_constant(Rewriter& r, int like, DType dt, Quantization q,
                         std::shared_ptr<const ConstantData> data) {
  Graph& g = r.g;
  const int c = add_like(g, like, dt == DType::kInt8 ? "_int8" : "_int32", dt, std::move(q));
  g.tensor(c).data = std::move(data);
  const int d = add_like(g, like, "_dq", DType::kFloat32, {});
  r.out.push_back(make_node(g.tensor(c).name + "_dequantize", OpType::kDequantizeLinear, {c}, d));
  return d;
}

bool constant_float(const Graph& g, int t) {
  return t >= 0 && g.tensor(t).is_constant() && g.tensor(t).dtype == DType::kFloat32;
}

// Conv, or Gemm as pass_fuse_qdq takes it (2-D x, W [M, K] with transB, bias [M]).
bool quantizable_linear(const Rewriter& r, const Node& n) {
  const Graph& g = r.g;
  if (n.inputs.size() < 2 || n.outputs.size() != 1) return false;
  if (!r.calibrated(n.inputs[0]) || !r.calibrated(n.outputs[0])) return false;
  const int w = n.inputs[1], b = n.inputs.size() > 2 ? n.inputs[2] : -1;
  if (!constant_float(g, w) || (b >= 0 && !constant_float(g, b))) return false;
  if (n.op == OpType::kConv) return true;
  if (n.op != OpType::kGemm || !n.attrs.trans_b || n.attrs.trans_a) return false;
  if (n.attrs.alpha != 1.0f || n.attrs.beta != 1.0f) return false;
  if (g.tensor(n.inputs[0]).shape.size() != 2 || g.tensor(w).shape.size() != 2) return false;
  return b < 0 || shape_elements(g.tensor(b).shape) == g.tensor(w).shape[0];
}

void rewrite_linear(Rewriter& r, Node n) {
  Graph& g = r.g;
  const int x = n.inputs[0], w = n.inputs[1], y = n.outputs[0];
  const Quantization qx = r.quant_of(x);
  const Shape ws = g.tensor(w).shape;
  const int64_t m = ws[0], per = shape_elements(ws) / m;
  QuantizedWeights qw = quantize_weights(g.tensor(w).data->f32(), m, per);
  n.inputs[0] = r.quant_dequant(x);
  n.inputs[1] = dequantized_constant(r, w, DType::kInt8, qw.quant,
                                     ConstantData::from_int8(std::move(qw.values)));
  if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
    QuantizedBias qb = quantize_bias(g.tensor(n.inputs[2]).data->f32(), m, qx.scale[0], qw.quant);
    n.inputs[2] = dequantized_constant(r, n.inputs[2], DType::kInt32, qb.quant,
                                       ConstantData::from_int32(std::move(qb.values)));
  }
  const FusedActivation act = n.attrs.activation;
  n.attrs.activation = FusedActivation{};
  const Quantization qy = r.quant_of(y);
  r.finish(std::move(n), y, qy, act);
}

// An Add's fused Relu/Clip done by saturation alone: the output's int8 range is
// [0, (127 - zp) * s] within [act.min, act.max] (zp = -128: the lowest code is 0).
bool activation_by_saturation(const FusedActivation& act, const Quantization& qy) {
  if (!act.active()) return true;
  if (act.min != 0.0f || qy.zero_point[0] != -128) return false;
  return std::isinf(act.max) || float(127 - qy.zero_point[0]) * qy.scale[0] <= act.max;
}

// Add (same shapes), Concat, MaxPool, GlobalAveragePool over calibrated activations.
bool quantizable_data_op(const Rewriter& r, const Node& n) {
  const Graph& g = r.g;
  if (n.outputs.size() != 1 || n.inputs.empty() || !r.calibrated(n.outputs[0])) return false;
  for (int t : n.inputs)
    if (!r.calibrated(t)) return false;
  const bool one_input = n.inputs.size() == 1 && !n.attrs.activation.active();
  switch (n.op) {
    case OpType::kAdd:
      return n.inputs.size() == 2 && g.tensor(n.inputs[0]).shape == g.tensor(n.inputs[1]).shape &&
             activation_by_saturation(n.attrs.activation, r.quant_of(n.outputs[0]));
    case OpType::kConcat:
      return !n.attrs.activation.active();
    case OpType::kMaxPool:
    case OpType::kGlobalAveragePool:
      return one_input && g.tensor(n.inputs[0]).shape.size() == 4;
    default:
      return false;
  }
}

void rewrite_data_op(Rewriter& r, Node n) {
  const int y = n.outputs[0];
  // A max of int8 values needs no requantization when the output keeps the input's.
  const Quantization qy = n.op == OpType::kMaxPool ? r.quant_of(n.inputs[0]) : r.quant_of(y);
  for (int& t : n.inputs) t = r.quant_dequant(t);
  n.attrs.activation = FusedActivation{};
  r.finish(std::move(n), y, qy, FusedActivation{});
}

// A tensor only a quantized Concat reads takes the Concat output's quantization
// (as TFLite's concat does): the int8 concat is then a copy, with no second
// rounding of each branch.
void share_concat_quant(Rewriter& r, const std::set<std::string>& keep_fp32) {
  std::vector<int> readers(r.g.tensors.size(), 0);
  for (const Node& n : r.g.nodes)
    for (int t : n.inputs)
      if (t >= 0) ++readers[size_t(t)];
  for (int t : r.g.outputs) ++readers[size_t(t)];
  for (const Node& n : r.g.nodes) {
    if (n.op != OpType::kConcat || keep_fp32.count(n.name) || !quantizable_data_op(r, n)) continue;
    const Quantization qy = r.quant_of(n.outputs[0]);
    for (int t : n.inputs)
      if (readers[size_t(t)] == 1) r.chosen[t] = qy;
  }
}

}  // namespace

Expected<int> rewrite_to_qdq(Graph& g, const std::vector<MinMax>& ranges,
                             const std::set<std::string>& keep_fp32) {
  if (ranges.size() != g.tensors.size())
    return invalid_argument("quantize: " + std::to_string(ranges.size()) +
                            " calibration ranges for " + std::to_string(g.tensors.size()) +
                            " tensors");
  Rewriter r{g, ranges, {}, {}, {}};
  share_concat_quant(r, keep_fp32);
  int rewrites = 0;
  for (Node& n : g.nodes) {
    const bool keep = keep_fp32.count(n.name) > 0;
    if (!keep && quantizable_linear(r, n)) {
      rewrite_linear(r, std::move(n));
    } else if (!keep && quantizable_data_op(r, n)) {
      rewrite_data_op(r, std::move(n));
    } else {
      r.out.push_back(std::move(n));
      continue;
    }
    ++rewrites;
  }
  g.nodes = std::move(r.out);
  return rewrites;
}

}  // namespace tandem::quant

namespace tandem::quant {

int fold_dequant_quant(Graph& g) {
  std::vector<int> producer(g.tensors.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int t : g.nodes[i].outputs) producer[size_t(t)] = int(i);
  std::vector<int> replace(g.tensors.size(), -1);
  int folds = 0;
  for (const Node& n : g.nodes) {
    if (n.op != OpType::kQuantizeLinear || producer[size_t(n.inputs[0])] < 0) continue;
    const Node& d = g.nodes[size_t(producer[size_t(n.inputs[0])])];
    if (d.op != OpType::kDequantizeLinear) continue;
    const Tensor& q = g.tensor(d.inputs[0]);
    if (q.dtype != DType::kInt8 || q.quant != g.tensor(n.outputs[0]).quant) continue;
    if (std::count(g.outputs.begin(), g.outputs.end(), n.outputs[0])) continue;  // stays float
    replace[size_t(n.outputs[0])] = d.inputs[0];
    ++folds;
  }
  for (Node& n : g.nodes)
    for (int& t : n.inputs)
      if (t >= 0 && replace[size_t(t)] >= 0) t = replace[size_t(t)];
  return folds;
}

}  // namespace tandem::quant
