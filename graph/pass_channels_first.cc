// channels_first: a Transpose island, NCHW -> Transpose(0,2,3,1) -> ops over the
// last (channel) axis -> Transpose(0,3,1,2) -> NCHW, as ConvNeXt's blocks and
// LayerNorm2d export, is rewritten in NCHW form with no transposes: LayerNorm over
// the last axis -> over axis 1, MatMul by a constant [C, M] (+ a constant bias)
// -> a 1x1 Conv with bias, elementwise ops with per-channel constants -> the
// constants as [C, 1, 1], unary ops unchanged. A per-channel constant Mul right
// after an island that ends in such a Conv (ConvNeXt's layer scale) is folded
// into the Conv's weights. Islands with anything else are left alone.
#include <algorithm>

#include "graph/pass_util.h"
#include "graph/passes.h"
#include "graph/shape_inference.h"

namespace tandem {
namespace {

using namespace pass_util;

bool is_perm(const Node& n, const std::vector<int64_t>& perm) {
  return n.op == OpType::kTranspose && n.inputs.size() == 1 && n.outputs.size() == 1 &&
         n.attrs.perm == perm;
}

bool is_unary(OpType op) {
  switch (op) {
    case OpType::kRelu:
    case OpType::kClip:
    case OpType::kSigmoid:
    case OpType::kHardSigmoid:
    case OpType::kHardSwish:
    case OpType::kTanh:
    case OpType::kLeakyRelu:
    case OpType::kErf:
    case OpType::kSqrt:
    case OpType::kGelu:
    case OpType::kIdentity:
      return true;
    default:
      return false;
  }
}

// A constant that broadcasts along the last axis only: a scalar, [C] or [1, .., 1, C].
bool last_axis_constant(const Graph& g, int t, int64_t channels) {
  if (!is_f32_constant(g, t)) return false;
  const Shape& s = g.tensor(t).shape;
  const int64_t n = shape_elements(s);
  if (n == 1) return s.size() <= 4;
  if (s.empty() || s.size() > 4 || s.back() != channels || n != channels) return false;
  return true;
}

// Node `n` reading `cur` (an NHWC-ordered [N, H, W, C]) can run on NCHW as rewritten.
bool island_member(const Graph& g, const Node& n, int cur) {
  const Shape& s = g.tensor(cur).shape;
  if (n.outputs.size() != 1 || s.size() != 4) return false;
  const int64_t c = s[3];
  if (is_unary(n.op)) return n.inputs.size() == 1 && n.inputs[0] == cur;
  switch (n.op) {
    case OpType::kLayerNormalization:
      return n.inputs[0] == cur && n.attrs.axes == std::vector<int64_t>{3} &&
             std::all_of(n.inputs.begin() + 1, n.inputs.end(),
                         [&](int t) { return t < 0 || is_f32_constant(g, t); });
    case OpType::kMatMul:
      return n.inputs.size() == 2 && n.inputs[0] == cur && is_f32_constant(g, n.inputs[1]) &&
             g.tensor(n.inputs[1]).shape.size() == 2 && g.tensor(n.inputs[1]).shape[0] == c;
    case OpType::kAdd:
    case OpType::kSub:
    case OpType::kMul:
    case OpType::kDiv: {
      const int other = other_input(n, cur);
      return other >= 0 && other != cur && last_axis_constant(g, other, c) &&
             g.tensor(n.outputs[0]).shape == s;
    }
    default:
      return false;
  }
}

// The island starting at Transpose `t1`: its member nodes and the closing Transpose.
bool find_island(const Graph& g, const Uses& u, int t1, std::vector<int>* members, int* t2) {
  int cur = g.nodes[size_t(t1)].outputs[0];
  for (;;) {
    const int r = sole_reader(g, u, cur);
    if (r < 0) return false;
    const Node& n = g.nodes[size_t(r)];
    if (is_perm(n, {0, 3, 1, 2})) {
      *t2 = r;
      return !members->empty();
    }
    if (!island_member(g, n, cur)) return false;
    members->push_back(r);
    cur = n.outputs[0];
  }
}

// MatMul by W [C, M] as a 1x1 Conv with weights [M, C, 1, 1] (and bias when given).
void matmul_to_conv(Graph& g, Node& mm, int bias) {
  const Shape ws = g.tensor(mm.inputs[1]).shape;
  const std::vector<float> w = constant_values(g, mm.inputs[1]);
  std::vector<float> wt(w.size());
  const int64_t c = ws[0], m = ws[1];
  for (int64_t i = 0; i < c; ++i)
    for (int64_t o = 0; o < m; ++o) wt[size_t(o * c + i)] = w[size_t(i * m + o)];
  const FusedActivation act = mm.attrs.activation;
  mm.op = OpType::kConv;
  mm.attrs = NodeAttrs();
  mm.attrs.kernel_shape = {1, 1};
  mm.attrs.strides = {1, 1};
  mm.attrs.dilations = {1, 1};
  mm.attrs.pads = {0, 0, 0, 0};
  mm.attrs.activation = act;
  mm.inputs[1] = g.add_constant(fresh_name(g, mm.name + "_w_nchw"), {m, c, 1, 1}, std::move(wt));
  if (bias >= 0) {
    std::vector<float> b = constant_values(g, bias);
    if (b.size() == 1) b.assign(size_t(m), b[0]);
    mm.inputs.push_back(g.add_constant(fresh_name(g, mm.name + "_b_nchw"), {m}, std::move(b)));
  }
}

// A per-channel constant of `n` (reading `cur`) reshaped for NCHW broadcasting.
void constant_to_nchw(Graph& g, Node& n, int cur) {
  for (int& t : n.inputs) {
    if (t == cur || shape_elements(g.tensor(t).shape) == 1) continue;
    const int64_t c = shape_elements(g.tensor(t).shape);
    t = g.add_constant(fresh_name(g, g.tensor(t).name + "_nchw"), {c, 1, 1}, constant_values(g, t));
  }
}

// The bias of a MatMul rewritten as a Conv: the next member when it is an Add of a constant.
int matmul_bias(const Graph& g, const std::vector<int>& members, size_t k) {
  if (k + 1 >= members.size()) return -1;
  const Node& a = g.nodes[size_t(members[k + 1])];
  if (a.op != OpType::kAdd || a.attrs.activation.active()) return -1;
  return other_input(a, g.nodes[size_t(members[k])].outputs[0]);
}

// Rewrites the island in place; returns the index of its last live node, and
// whether that is a Conv made from a MatMul here.
int rewrite_island(Graph& g, int t1, const std::vector<int>& members, int t2,
                   std::vector<bool>* dead, bool* ends_in_conv) {
  int from = g.nodes[size_t(t1)].outputs[0], to = g.nodes[size_t(t1)].inputs[0];
  int last = -1;
  for (size_t k = 0; k < members.size(); ++k) {
    const int idx = members[k];
    for (int& t : g.nodes[size_t(idx)].inputs)
      if (t == from) t = to;
    const OpType op = g.nodes[size_t(idx)].op;
    if (op == OpType::kLayerNormalization) {
      g.nodes[size_t(idx)].attrs.axes = {1};
    } else if (op == OpType::kMatMul) {
      const int bias = matmul_bias(g, members, k);
      matmul_to_conv(g, g.nodes[size_t(idx)], bias);
      if (bias >= 0) {  // the Conv writes the Add's output
        g.nodes[size_t(idx)].outputs = g.nodes[size_t(members[k + 1])].outputs;
        (*dead)[size_t(members[++k])] = true;
      }
    } else if (!is_unary(op)) {
      constant_to_nchw(g, g.nodes[size_t(idx)], to);
    }
    from = to = g.nodes[size_t(idx)].outputs[0];
    g.tensor(to).shape.clear();  // NHWC-ordered until now: inferred again at the end
    last = idx;
    *ends_in_conv = op == OpType::kMatMul;
  }
  g.nodes[size_t(last)].outputs = g.nodes[size_t(t2)].outputs;
  (*dead)[size_t(t1)] = (*dead)[size_t(t2)] = true;
  return last;
}

// Conv `c` then Mul by a per-output-channel constant (layer scale) read only there:
// the scale goes into the Conv's weights and bias.
bool fold_channel_scale(Graph& g, const Uses& u, int c, std::vector<bool>* dead) {
  Node& conv = g.nodes[size_t(c)];
  if (conv.op != OpType::kConv || conv.attrs.activation.active()) return false;
  const int y = conv.outputs[0];
  const int r = sole_reader(g, u, y);
  if (r < 0 || g.nodes[size_t(r)].op != OpType::kMul) return false;
  const Node& mul = g.nodes[size_t(r)];
  const int s = other_input(mul, y);
  const Shape ws = g.tensor(conv.inputs[1]).shape;
  const int64_t m = ws[0];
  if (s < 0 || s == y || !is_f32_constant(g, s) || mul.outputs.size() != 1) return false;
  const Shape& ss = g.tensor(s).shape;
  const bool per_channel =
      shape_elements(ss) == m && ss.size() >= 3 && ss.size() <= 4 && ss[ss.size() - 3] == m;
  if (!per_channel && shape_elements(ss) != 1) return false;
  std::vector<float> sv = constant_values(g, s);
  if (sv.size() == 1) sv.assign(size_t(m), sv[0]);
  std::vector<float> w = constant_values(g, conv.inputs[1]);
  const size_t per = w.size() / size_t(m);
  for (size_t o = 0; o < size_t(m); ++o)
    for (size_t k = 0; k < per; ++k) w[o * per + k] *= sv[o];
  conv.inputs[1] = g.add_constant(fresh_name(g, conv.name + "_w_scaled"), ws, std::move(w));
  if (conv.inputs.size() > 2 && conv.inputs[2] >= 0) {
    std::vector<float> b = constant_values(g, conv.inputs[2]);
    for (size_t o = 0; o < b.size(); ++o) b[o] *= sv[o];
    conv.inputs[2] = g.add_constant(fresh_name(g, conv.name + "_b_scaled"), {m}, std::move(b));
  }
  conv.outputs = mul.outputs;
  (*dead)[size_t(r)] = true;
  return true;
}

}  // namespace

Expected<int> pass_channels_first(Graph& g) {
  TANDEM_RETURN_IF_ERROR(check_ids(g, "channels_first"));
  const Uses u(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int rewrites = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& t1 = g.nodes[i];
    if (dead[i] || !is_perm(t1, {0, 2, 3, 1}) || g.tensor(t1.inputs[0]).is_constant() ||
        g.tensor(t1.inputs[0]).shape.size() != 4)
      continue;
    std::vector<int> members;
    int t2 = -1;
    if (!find_island(g, u, int(i), &members, &t2)) continue;
    bool ends_in_conv = false;
    const int last = rewrite_island(g, int(i), members, t2, &dead, &ends_in_conv);
    // Only convs this pass made (from a MatMul): other models' convs stay as they were.
    if (ends_in_conv) rewrites += fold_channel_scale(g, u, last, &dead);
    ++rewrites;
  }
  erase_nodes(g, dead);
  Status st = infer_shapes(g);
  if (!st.ok()) return st.with_context("channels_first");
  return rewrites;
}

}  // namespace tandem
