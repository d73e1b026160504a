#include "graph/passes.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "graph/pass_util.h"
#include "graph/quant_rules.h"
#include "graph/shape_inference.h"

namespace tandem {
namespace {

using namespace pass_util;

// Constant folding never materialises more than this (a broadcast of two
// small constants could otherwise blow up the model file).
constexpr int64_t kMaxFoldedElements = int64_t{1} << 24;

// Per-channel BN factors: y = x * scale[c] + shift[c]. Empty when the BN
// parameters are not float32 constants of `channels` entries.
bool batchnorm_factors(const Graph& g, const Node& bn, int64_t channels, std::vector<double>* scale,
                       std::vector<double>* shift) {
  if (bn.inputs.size() != 5) return false;
  for (size_t i = 1; i < 5; ++i) {
    if (!is_f32_constant(g, bn.inputs[i])) return false;
    if (g.tensor(bn.inputs[i]).shape != Shape{channels}) return false;
  }
  std::vector<float> gamma = constant_values(g, bn.inputs[1]),
                     beta = constant_values(g, bn.inputs[2]),
                     mean = constant_values(g, bn.inputs[3]),
                     var = constant_values(g, bn.inputs[4]);
  size_t c = static_cast<size_t>(channels);
  if (gamma.size() != c || beta.size() != c || mean.size() != c || var.size() != c) return false;
  scale->resize(c);
  shift->resize(c);
  for (size_t i = 0; i < c; ++i) {
    double s = double(gamma[i]) / std::sqrt(double(var[i]) + double(bn.attrs.epsilon));
    (*scale)[i] = s;
    (*shift)[i] = double(beta[i]) - double(mean[i]) * s;
  }
  return true;
}

// Conv W [M, C/g, kh, kw] and bias [M] folded with BN over M channels.
bool fold_into_conv(Graph& g, Node& conv, const Node& bn) {
  if (conv.inputs.size() < 2 || !is_f32_constant(g, conv.inputs[1])) return false;
  bool has_bias = conv.inputs.size() > 2 && conv.inputs[2] >= 0;
  if (has_bias && !is_f32_constant(g, conv.inputs[2])) return false;
  const Shape wshape = g.tensor(conv.inputs[1]).shape;
  if (wshape.size() != 4) return false;
  int64_t m = wshape[0];
  std::vector<double> scale, shift;
  if (!batchnorm_factors(g, bn, m, &scale, &shift)) return false;
  if (has_bias && shape_elements(g.tensor(conv.inputs[2]).shape) != m) return false;
  std::vector<float> w = constant_values(g, conv.inputs[1]);
  if (static_cast<int64_t>(w.size()) != shape_elements(wshape)) return false;
  std::vector<float> b =
      has_bias ? constant_values(g, conv.inputs[2]) : std::vector<float>(size_t(m), 0.0f);
  size_t per_channel = w.size() / static_cast<size_t>(m);
  for (size_t o = 0; o < static_cast<size_t>(m); ++o) {
    for (size_t k = 0; k < per_channel; ++k) {
      float& v = w[o * per_channel + k];
      v = static_cast<float>(double(v) * scale[o]);
    }
    b[o] = static_cast<float>(double(b[o]) * scale[o] + shift[o]);
  }
  int nw = g.add_constant(fresh_name(g, conv.name + "_w_bnfold"), wshape, std::move(w));
  int nb = g.add_constant(fresh_name(g, conv.name + "_b_bnfold"), {m}, std::move(b));
  conv.inputs.resize(3);
  conv.inputs[1] = nw;
  conv.inputs[2] = nb;
  return true;
}

// Gemm Y[N, M] = alpha*A'B' + beta*C folded with BN over the M columns:
// B' scaled per output column, C' = (beta*C)*s + shift with beta = 1.
bool fold_into_gemm(Graph& g, Node& gemm, const Node& bn) {
  const Shape& y = g.tensor(gemm.outputs[0]).shape;
  if (y.size() != 2 || gemm.inputs.size() < 2 || !is_f32_constant(g, gemm.inputs[1])) return false;
  int64_t m = y[1];
  const Shape bshape = g.tensor(gemm.inputs[1]).shape;
  if (bshape.size() != 2 || (gemm.attrs.trans_b ? bshape[0] : bshape[1]) != m) return false;
  std::vector<double> scale, shift;
  if (!batchnorm_factors(g, bn, m, &scale, &shift)) return false;
  bool has_c = gemm.inputs.size() > 2 && gemm.inputs[2] >= 0;
  std::vector<float> c(static_cast<size_t>(m), 0.0f);
  if (has_c) {
    // Only a per-column C ([M], [1, M]) or a scalar folds into a per-column bias.
    if (!is_f32_constant(g, gemm.inputs[2])) return false;
    const Shape& cs = g.tensor(gemm.inputs[2]).shape;
    std::vector<float> cv = constant_values(g, gemm.inputs[2]);
    if (cv.size() == 1 && shape_elements(cs) == 1) {
      std::fill(c.begin(), c.end(), cv[0]);
    } else if (static_cast<int64_t>(cv.size()) == m && !cs.empty() && cs.back() == m &&
               shape_elements(cs) == m) {
      c = cv;
    } else {
      return false;
    }
  }
  std::vector<float> b = constant_values(g, gemm.inputs[1]);
  size_t rows = static_cast<size_t>(bshape[0]), cols = static_cast<size_t>(bshape[1]);
  for (size_t r = 0; r < rows; ++r)
    for (size_t k = 0; k < cols; ++k) {
      size_t ch = gemm.attrs.trans_b ? r : k;
      float& v = b[r * cols + k];
      v = static_cast<float>(double(v) * scale[ch]);
    }
  for (size_t o = 0; o < c.size(); ++o)
    c[o] = static_cast<float>(double(gemm.attrs.beta) * double(c[o]) * scale[o] + shift[o]);
  int nb = g.add_constant(fresh_name(g, gemm.name + "_b_bnfold"), bshape, std::move(b));
  int nc = g.add_constant(fresh_name(g, gemm.name + "_c_bnfold"), {m}, std::move(c));
  gemm.inputs.resize(3);
  gemm.inputs[1] = nb;
  gemm.inputs[2] = nc;
  gemm.attrs.beta = 1.0f;
  return true;
}

bool fusable_producer(OpType op) {
  return op == OpType::kConv || op == OpType::kGemm || op == OpType::kMatMul || op == OpType::kAdd;
}

}  // namespace

Expected<int> pass_fold_batchnorm(Graph& g) {
  TANDEM_RETURN_IF_ERROR(check_ids(g, "fold_batchnorm"));
  std::vector<int> producer = tensor_producers(g);
  std::vector<int> readers = reader_counts(g);
  std::vector<bool> is_output = output_mask(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int rewrites = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].op != OpType::kBatchNormalization || g.nodes[i].inputs.empty()) continue;
    int x = g.nodes[i].inputs[0];
    if (x < 0 || readers[size_t(x)] != 1 || is_output[size_t(x)]) continue;
    int p = producer[size_t(x)];
    if (p < 0 || dead[size_t(p)]) continue;
    Node& prod = g.nodes[size_t(p)];
    // A fused activation sits between the op and the BN: folding would reorder them.
    if (prod.attrs.activation.active() || prod.outputs.size() != 1) continue;
    const Node& bn = g.nodes[i];  // add_constant grows tensors, never nodes
    bool folded = false;
    if (prod.op == OpType::kConv) folded = fold_into_conv(g, prod, bn);
    if (prod.op == OpType::kGemm) folded = fold_into_gemm(g, prod, bn);
    if (!folded) continue;
    prod.outputs[0] = bn.outputs[0];
    producer[size_t(bn.outputs[0])] = p;
    dead[i] = true;
    ++rewrites;
  }
  erase_nodes(g, dead);
  return rewrites;
}

Expected<int> pass_fuse_activations(Graph& g) {
  TANDEM_RETURN_IF_ERROR(check_ids(g, "fuse_activations"));
  std::vector<int> producer = tensor_producers(g);
  std::vector<int> readers = reader_counts(g);
  std::vector<bool> is_output = output_mask(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int rewrites = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& act = g.nodes[i];
    if (act.op != OpType::kRelu && act.op != OpType::kClip) continue;
    if (act.inputs.empty() || act.outputs.size() != 1) continue;
    // ONNX-style Clip with bound inputs is not the attribute form the IR fuses.
    bool extra_inputs =
        std::any_of(act.inputs.begin() + 1, act.inputs.end(), [](int t) { return t >= 0; });
    if (extra_inputs) continue;
    int x = act.inputs[0];
    if (x < 0 || readers[size_t(x)] != 1 || is_output[size_t(x)]) continue;
    int p = producer[size_t(x)];
    if (p < 0 || dead[size_t(p)]) continue;
    Node& prod = g.nodes[size_t(p)];
    if (!fusable_producer(prod.op) || prod.outputs.size() != 1) continue;
    float lo = act.op == OpType::kRelu ? 0.0f : act.attrs.clip_min;
    float hi =
        act.op == OpType::kRelu ? std::numeric_limits<float>::infinity() : act.attrs.clip_max;
    if (std::isnan(lo) || std::isnan(hi)) continue;
    // clamp(clamp(x, a0, a1), b0, b1) == clamp(x, max(a0, b0), min(a1, b1)) when they overlap.
    FusedActivation fused = prod.attrs.activation;
    fused.min = std::max(fused.min, lo);
    fused.max = std::min(fused.max, hi);
    if (fused.min > fused.max) continue;
    prod.attrs.activation = fused;
    prod.outputs[0] = act.outputs[0];
    producer[size_t(act.outputs[0])] = p;
    dead[i] = true;
    ++rewrites;
  }
  erase_nodes(g, dead);
  return rewrites;
}

Expected<int> pass_remove_identity(Graph& g) {
  TANDEM_RETURN_IF_ERROR(check_ids(g, "remove_identity"));
  std::vector<bool> is_output = output_mask(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int rewrites = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (n.op != OpType::kIdentity || n.inputs.size() != 1 || n.outputs.size() != 1) continue;
    int x = n.inputs[0], y = n.outputs[0];
    if (x < 0) continue;
    if (!is_output[size_t(y)]) {
      replace_reads(g, y, x);
    } else {
      // y is a graph output and keeps its name: x's producer writes y instead,
      // unless x itself must stay visible (graph input, output or constant).
      std::vector<int> producer = tensor_producers(g);
      int p = producer[size_t(x)];
      if (p < 0 || is_output[size_t(x)]) continue;
      replace_reads(g, x, y);
      for (int& t : g.nodes[size_t(p)].outputs)
        if (t == x) t = y;
    }
    dead[i] = true;
    ++rewrites;
  }
  erase_nodes(g, dead);
  return rewrites;
}

Expected<int> pass_fold_constants(Graph& g, const ConstantEvaluator& evaluate) {
  TANDEM_RETURN_IF_ERROR(check_ids(g, "fold_constants"));
  std::vector<bool> is_output = output_mask(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int rewrites = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    bool any = false, all_const = true;
    for (int t : n.inputs) {
      if (t < 0) continue;
      any = true;
      // DequantizeLinear of a quantized constant (weights no int8 op took) folds to float.
      const bool dq_const = n.op == OpType::kDequantizeLinear && g.tensor(t).is_constant();
      if (!is_f32_constant(g, t) && !dq_const) all_const = false;
    }
    if (!any || !all_const || n.outputs.empty()) continue;
    // Folded values are float32: int8 outputs (QuantizeLinear of a constant) stay nodes.
    if (op_output_dtype(n.op) != DType::kFloat32) continue;
    // Graph outputs stay produced by a node: the runtime hands them out from activations.
    if (std::any_of(n.outputs.begin(), n.outputs.end(),
                    [&](int t) { return is_output[size_t(t)]; }))
      continue;
    if (!evaluate)
      return invalid_argument("fold_constants: node '" + n.name +
                              "' has only constant inputs and no constant evaluator was given");
    std::vector<Shape> shapes;
    Status st = infer_node_shapes(g, n, &shapes);
    if (!st.ok()) return st.with_context("fold_constants");
    int64_t total = 0;
    for (const Shape& s : shapes) total += std::max<int64_t>(0, shape_elements(s));
    if (total > kMaxFoldedElements) continue;
    std::vector<std::vector<float>> values(shapes.size());
    std::vector<float*> out_ptrs;
    for (size_t k = 0; k < shapes.size(); ++k) {
      values[k].resize(static_cast<size_t>(std::max<int64_t>(0, shape_elements(shapes[k]))));
      out_ptrs.push_back(values[k].data());
    }
    std::vector<const float*> in_ptrs;
    for (int t : n.inputs)  // the raw bytes (int8/int32 for DequantizeLinear)
      in_ptrs.push_back(t < 0 ? nullptr : static_cast<const float*>(g.tensor(t).data->data));
    // Kernels read output shapes from the graph: set them before running.
    for (size_t k = 0; k < n.outputs.size(); ++k) g.tensor(n.outputs[k]).shape = shapes[k];
    st = evaluate(g, n, in_ptrs.data(), out_ptrs.data());
    if (!st.ok()) return st.with_context("fold_constants");
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      Tensor& t = g.tensor(n.outputs[k]);
      t.dtype = DType::kFloat32;
      t.data = ConstantData::from_floats(std::move(values[k]));
    }
    dead[i] = true;
    ++rewrites;
  }
  erase_nodes(g, dead);
  return rewrites;
}

Expected<int> pass_eliminate_dead(Graph& g) {
  TANDEM_RETURN_IF_ERROR(check_ids(g, "eliminate_dead"));
  std::vector<bool> live(g.tensors.size(), false);
  for (int t : g.outputs) live[size_t(t)] = true;
  std::vector<bool> dead(g.nodes.size(), true);
  for (size_t i = g.nodes.size(); i-- > 0;) {
    const Node& n = g.nodes[i];
    if (!std::any_of(n.outputs.begin(), n.outputs.end(), [&](int t) { return live[size_t(t)]; }))
      continue;
    dead[i] = false;
    for (int t : n.inputs)
      if (t >= 0) live[size_t(t)] = true;
  }
  int removed_nodes = static_cast<int>(std::count(dead.begin(), dead.end(), true));
  erase_nodes(g, dead);

  // Keep graph inputs (callers feed them by name) and whatever the remaining nodes touch.
  std::vector<bool> keep(g.tensors.size(), false);
  for (int t : g.inputs) keep[size_t(t)] = true;
  for (int t : g.outputs) keep[size_t(t)] = true;
  for (const Node& n : g.nodes) {
    for (int t : n.inputs)
      if (t >= 0) keep[size_t(t)] = true;
    for (int t : n.outputs) keep[size_t(t)] = true;
  }
  std::vector<int> remap(g.tensors.size(), -1);
  std::vector<Tensor> kept;
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    if (!keep[t]) continue;
    remap[t] = static_cast<int>(kept.size());
    kept.push_back(std::move(g.tensors[t]));
  }
  int removed_tensors = static_cast<int>(g.tensors.size() - kept.size());
  g.tensors = std::move(kept);
  for (Node& n : g.nodes) {
    for (int& t : n.inputs)
      if (t >= 0) t = remap[size_t(t)];
    for (int& t : n.outputs) t = remap[size_t(t)];
  }
  for (int& t : g.inputs) t = remap[size_t(t)];
  for (int& t : g.outputs) t = remap[size_t(t)];
  return removed_nodes + removed_tensors;
}

Expected<std::vector<PassReport>> run_default_passes(Graph& g, const ConstantEvaluator& evaluate) {
  // Shapes first: BN folding into Gemm and constant folding need them.
  Status st = infer_shapes(g);
  if (!st.ok()) return st.with_context("passes");
  using Pass = std::function<Expected<int>(Graph&)>;
  auto fold_constants = [&evaluate](Graph& graph) { return pass_fold_constants(graph, evaluate); };
  // Identity first (it hides producers), QDQ groups before anything fuses into
  // their float ops, constants before BN folding (BN
  // parameters may be computed), BN before fusion (Conv-BN-Relu), DCE last.
  // LayerNorm and GELU fusion need folded constants; channels_first needs the fused
  // LayerNorms and makes Convs that BN folding and activation fusion may then use.
  const std::pair<const char*, Pass> passes[] = {
      {"remove_identity", pass_remove_identity},
      {"fuse_qdq", [](Graph& g) { return pass_fuse_qdq(g); }},
      {"fold_constants", fold_constants},
      {"fuse_layer_norm", pass_fuse_layer_norm},
      {"fuse_gelu", pass_fuse_gelu},
      {"channels_first", pass_channels_first},
      {"fold_batchnorm", pass_fold_batchnorm},
      {"fuse_activations", pass_fuse_activations},
      {"eliminate_dead", pass_eliminate_dead},
  };
  std::vector<PassReport> reports;
  for (const auto& [name, pass] : passes) {
    Expected<int> r = pass(g);
    if (!r.ok()) return r.status();
    reports.push_back({name, *r});
  }
  return reports;
}

}  // namespace tandem
