// fuse_layer_norm: the LayerNorm decomposition PyTorch exports before opset 17,
//   m = ReduceMean(x, A); d = x - m; v = ReduceMean(Pow(d, 2), A);
//   y = d / Sqrt(v + eps) [* gamma] [+ beta]
// becomes LayerNormalization(x, gamma, beta) over A (consecutive axes: the last
// axis of a transformer, or the channel axis of a LayerNorm2d). Only exact
// matches: constants where the pattern has them, every inner tensor read once
// (d twice: by Pow and Div), gamma and beta varying along A only.
#include <algorithm>

#include "graph/pass_util.h"
#include "graph/passes.h"
#include "graph/shape_inference.h"

namespace tandem {
namespace {

using namespace pass_util;

struct LayerNormMatch {
  std::vector<int> nodes;  // matched nodes (indices), the last one is replaced
  int x = -1;
  std::vector<int64_t> axes;
  float eps = 0.0f;
  int gamma = -1, beta = -1;  // constants, -1 when absent
};

// Sorted, consecutive, keepdims: the reduction a LayerNorm can be.
bool layer_norm_axes(const Node& rm, size_t rank, std::vector<int64_t>* axes) {
  if (!rm.attrs.keepdims || rm.attrs.axes.empty()) return false;
  *axes = rm.attrs.axes;
  std::sort(axes->begin(), axes->end());
  for (size_t i = 0; i < axes->size(); ++i)
    if ((*axes)[i] < 0 || (*axes)[i] >= int64_t(rank) || (i && (*axes)[i] != (*axes)[i - 1] + 1))
      return false;
  return true;
}

// The constant `t` broadcast against x varies only along `axes` (right-aligned).
bool per_slice_constant(const Graph& g, int t, const Shape& x, const std::vector<int64_t>& axes) {
  if (!is_f32_constant(g, t)) return false;
  const Shape& s = g.tensor(t).shape;
  if (s.size() > x.size()) return false;
  const size_t lead = x.size() - s.size();
  for (size_t i = 0; i < s.size(); ++i) {
    const int64_t d = int64_t(lead + i);
    const bool in = d >= axes.front() && d <= axes.back();
    if (s[i] != 1 && (!in || s[i] != x[size_t(d)])) return false;
  }
  return true;
}

// Index of the node reading `t` when it is the only reader and of type `op`, else -1.
int next(const Graph& g, const Uses& u, int t, OpType op) {
  const int r = sole_reader(g, u, t);
  return r >= 0 && g.nodes[size_t(r)].op == op && g.nodes[size_t(r)].outputs.size() == 1 ? r : -1;
}

// The variance half: Pow(d, 2) -> ReduceMean(A) -> Add(eps) -> Sqrt -> Div(d, .).
bool match_variance(const Graph& g, const Uses& u, int d, int pow, LayerNormMatch* m) {
  const Node& p = g.nodes[size_t(pow)];
  if (p.inputs[0] != d || !scalar_near(g, p.inputs[1], 2.0, 0.0)) return false;
  const int rm2 = next(g, u, p.outputs[0], OpType::kReduceMean);
  std::vector<int64_t> axes2;
  if (rm2 < 0 || !layer_norm_axes(g.nodes[size_t(rm2)], g.tensor(m->x).shape.size(), &axes2) ||
      axes2 != m->axes)
    return false;
  const int add = next(g, u, g.nodes[size_t(rm2)].outputs[0], OpType::kAdd);
  if (add < 0) return false;
  const Node& a = g.nodes[size_t(add)];
  const int eps = other_input(a, g.nodes[size_t(rm2)].outputs[0]);
  if (a.attrs.activation.active() || !scalar_constant(g, eps, &m->eps) || !(m->eps >= 0.0f))
    return false;
  const int sq = next(g, u, a.outputs[0], OpType::kSqrt);
  if (sq < 0) return false;
  const int div = next(g, u, g.nodes[size_t(sq)].outputs[0], OpType::kDiv);
  if (div < 0 || g.nodes[size_t(div)].inputs[0] != d) return false;
  m->nodes.insert(m->nodes.end(), {pow, rm2, add, sq, div});
  return true;
}

// ReduceMean `rm` (the mean) starts a LayerNorm: fills `m` on a match.
bool match_layer_norm(const Graph& g, const Uses& u, int rm, LayerNormMatch* m) {
  const Node& mean = g.nodes[size_t(rm)];
  if (mean.inputs.size() != 1 || mean.outputs.size() != 1) return false;
  m->x = mean.inputs[0];
  const Shape& xs = g.tensor(m->x).shape;
  if (g.tensor(m->x).is_constant() || !layer_norm_axes(mean, xs.size(), &m->axes)) return false;
  const int sub = next(g, u, mean.outputs[0], OpType::kSub);
  if (sub < 0 || g.nodes[size_t(sub)].inputs != std::vector<int>{m->x, mean.outputs[0]})
    return false;
  const int d = g.nodes[size_t(sub)].outputs[0];
  if (u.readers[size_t(d)] != 2 || u.is_output[size_t(d)] || g.tensor(d).shape != xs) return false;
  m->nodes = {rm, sub};
  int pow = -1;
  for (size_t i = size_t(sub) + 1; i < g.nodes.size() && pow < 0; ++i)
    if (g.nodes[i].op == OpType::kPow && g.nodes[i].inputs.size() == 2 && g.nodes[i].inputs[0] == d)
      pow = int(i);
  if (pow < 0 || !match_variance(g, u, d, pow, m)) return false;
  int y = g.nodes[size_t(m->nodes.back())].outputs[0];
  for (OpType op : {OpType::kMul, OpType::kAdd}) {  // optional gamma, then beta
    const int k = next(g, u, y, op);
    if (k < 0) continue;
    const Node& n = g.nodes[size_t(k)];
    const int c = other_input(n, y);
    if (n.attrs.activation.active() || c == y || !per_slice_constant(g, c, xs, m->axes) ||
        g.tensor(n.outputs[0]).shape != xs)
      continue;
    (op == OpType::kMul ? m->gamma : m->beta) = c;
    m->nodes.push_back(k);
    y = n.outputs[0];
  }
  return true;
}

// The slice's values of constant `t` (broadcast along the normalised axes), or ones.
std::vector<float> slice_values(const Graph& g, int t, const Shape& x,
                                const std::vector<int64_t>& axes) {
  Shape slice(x.begin() + axes.front(), x.begin() + axes.back() + 1);
  const int64_t size = shape_elements(slice);
  std::vector<float> out(size_t(size), 1.0f);
  if (t < 0) return out;
  const std::vector<float> v = constant_values(g, t);
  // Strides of t's shape aligned to the slice (a broadcast dim has stride 0).
  const Shape& s = g.tensor(t).shape;
  std::vector<int64_t> stride(slice.size(), 0);
  int64_t st = 1;
  for (size_t i = s.size(); i-- > 0;) {
    const int64_t d = int64_t(x.size() - s.size() + i) - axes.front();
    if (d >= 0 && d < int64_t(slice.size()) && s[i] != 1) stride[size_t(d)] = st;
    st *= s[i];
  }
  for (int64_t k = 0; k < size; ++k) {
    int64_t rem = k, off = 0;
    for (size_t i = slice.size(); i-- > 0;) {
      off += (rem % slice[i]) * stride[i];
      rem /= slice[i];
    }
    out[size_t(k)] = v[size_t(off)];
  }
  return out;
}

void rewrite_layer_norm(Graph& g, const LayerNormMatch& m, std::vector<bool>* dead) {
  const Shape xs = g.tensor(m.x).shape;
  Node& last = g.nodes[size_t(m.nodes.back())];
  Node ln;
  ln.name = last.name + "_layernorm";
  ln.op = OpType::kLayerNormalization;
  ln.attrs.axes = m.axes;
  ln.attrs.epsilon = m.eps;
  Shape slice(xs.begin() + m.axes.front(), xs.begin() + m.axes.back() + 1);
  const int scale = g.add_constant(fresh_name(g, ln.name + "_scale"), slice,
                                   slice_values(g, m.gamma, xs, m.axes));
  ln.inputs = {m.x, scale};
  if (m.beta >= 0)
    ln.inputs.push_back(g.add_constant(fresh_name(g, ln.name + "_bias"), slice,
                                       slice_values(g, m.beta, xs, m.axes)));
  ln.outputs = {g.nodes[size_t(m.nodes.back())].outputs[0]};
  for (size_t k = 0; k + 1 < m.nodes.size(); ++k) (*dead)[size_t(m.nodes[k])] = true;
  g.nodes[size_t(m.nodes.back())] = std::move(ln);
}

}  // namespace

Expected<int> pass_fuse_layer_norm(Graph& g) {
  TANDEM_RETURN_IF_ERROR(check_ids(g, "fuse_layer_norm"));
  const Uses u(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int rewrites = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (dead[i] || g.nodes[i].op != OpType::kReduceMean) continue;
    LayerNormMatch m;
    if (!match_layer_norm(g, u, int(i), &m)) continue;
    if (std::any_of(m.nodes.begin(), m.nodes.end(), [&](int k) { return dead[size_t(k)]; }))
      continue;
    rewrite_layer_norm(g, m, &dead);
    ++rewrites;
  }
  erase_nodes(g, dead);
  return rewrites;
}

}  // namespace tandem
