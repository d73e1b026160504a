#include "graph/quant_rewrite.h"

#include <algorithm>
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

// Q then DQ of float tensor t: returns the dequantized tensor.
int quant_dequant(Graph& g, std::vector<Node>& out, int t, const Quantization& q) {
  const int tq = add_like(g, t, "_q", DType::kInt8, q);
  const int td = add_like(g, t, "_dq", DType::kFloat32, {});
  out.push_back(make_node(g.tensor(t).name + "_quantize", OpType::kQuantizeLinear, {t}, tq));
  out.push_back(make_node(g.tensor(t).name + "_dequantize", OpType::kDequantizeLinear, {tq}, td));
  return td;
}

// A quantized constant read by a DequantizeLinear: returns the float tensor.
int dequantized_constant(Graph& g, std::vector<Node>& out, int like, DType dt, Quantization q,
                         std::shared_ptr<const ConstantData> data) {
  const int c = add_like(g, like, dt == DType::kInt8 ? "_int8" : "_int32", dt, std::move(q));
  g.tensor(c).data = std::move(data);
  const int d = add_like(g, like, "_dq", DType::kFloat32, {});
  out.push_back(make_node(g.tensor(c).name + "_dequantize", OpType::kDequantizeLinear, {c}, d));
  return d;
}

bool quantizable_conv(const Graph& g, const Node& n, const std::vector<MinMax>& ranges) {
  if (n.op != OpType::kConv || n.inputs.size() < 2 || n.outputs.size() != 1) return false;
  const int x = n.inputs[0], y = n.outputs[0];
  if (x < 0 || g.tensor(x).is_constant() || !ranges[size_t(x)].seen) return false;
  if (!ranges[size_t(y)].seen || !g.tensor(n.inputs[1]).is_constant()) return false;
  if (g.tensor(n.inputs[1]).dtype != DType::kFloat32) return false;
  return n.inputs.size() < 3 || n.inputs[2] < 0 || g.tensor(n.inputs[2]).is_constant();
}

void rewrite_conv(Graph& g, Node n, const std::vector<MinMax>& ranges, std::vector<Node>& out) {
  const int x = n.inputs[0], w = n.inputs[1], y = n.outputs[0];
  const Quantization qx = activation_quant(ranges[size_t(x)].min, ranges[size_t(x)].max);
  const Quantization qy = activation_quant(ranges[size_t(y)].min, ranges[size_t(y)].max);
  const Shape ws = g.tensor(w).shape;
  const int64_t m = ws[0], per = shape_elements(ws) / m;
  QuantizedWeights qw = quantize_weights(g.tensor(w).data->f32(), m, per);
  n.inputs[0] = quant_dequant(g, out, x, qx);
  n.inputs[1] = dequantized_constant(g, out, w, DType::kInt8, qw.quant,
                                     ConstantData::from_int8(std::move(qw.values)));
  if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
    QuantizedBias qb = quantize_bias(g.tensor(n.inputs[2]).data->f32(), m, qx.scale[0], qw.quant);
    n.inputs[2] = dequantized_constant(g, out, n.inputs[2], DType::kInt32, qb.quant,
                                       ConstantData::from_int32(std::move(qb.values)));
  }
  const FusedActivation act = n.attrs.activation;
  n.attrs.activation = FusedActivation{};
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
}

}  // namespace

Expected<int> rewrite_to_qdq(Graph& g, const std::vector<MinMax>& ranges,
                             const std::set<std::string>& keep_fp32) {
  if (ranges.size() != g.tensors.size())
    return invalid_argument("quantize: " + std::to_string(ranges.size()) +
                            " calibration ranges for " + std::to_string(g.tensors.size()) +
                            " tensors");
  std::vector<Node> out;
  int rewrites = 0;
  for (Node& n : g.nodes) {
    if (keep_fp32.count(n.name) || !quantizable_conv(g, n, ranges)) {
      out.push_back(std::move(n));
      continue;
    }
    rewrite_conv(g, std::move(n), ranges, out);
    ++rewrites;
  }
  g.nodes = std::move(out);
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
