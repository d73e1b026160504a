// fuse_gelu: GELU as PyTorch exports it becomes one Gelu node.
//   erf form:  x * 0.5 * (1 + Erf(x / sqrt 2))     (Div by sqrt 2 or Mul by 1/sqrt 2)
//   tanh form: x * 0.5 * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))  (x^3 as Pow(x, 3))
// in every operand order of the commutative ops, the 0.5 applied to x first or
// to the product last. Only exact matches: the constants within 1e-6, every inner
// tensor read once.
#include <cmath>

#include "graph/pass_util.h"
#include "graph/passes.h"

namespace tandem {
namespace {

using namespace pass_util;

struct GeluMatch {
  std::vector<int> nodes;  // the last one is replaced by the Gelu
  int x = -1;
  GeluApproximate mode = GeluApproximate::kErf;
};

int next(const Graph& g, const Uses& u, int t, OpType op) {
  const int r = sole_reader(g, u, t);
  if (r < 0) return -1;
  const Node& n = g.nodes[size_t(r)];
  return n.op == op && n.outputs.size() == 1 && !n.attrs.activation.active() ? r : -1;
}

// `n` is Mul(t, c) or Mul(c, t) with c a scalar near `want` (Div(t, c) when div: c = 1 / want).
bool scaled_by(const Graph& g, const Node& n, int t, double want) {
  if (n.inputs.size() != 2) return false;
  if (n.op == OpType::kDiv) return n.inputs[0] == t && scalar_near(g, n.inputs[1], 1.0 / want);
  return n.op == OpType::kMul && other_input(n, t) != t && scalar_near(g, other_input(n, t), want);
}

// Producer index of `t` when that node is a live Mul or Div with one output, else -1.
int scale_producer(const Graph& g, const Uses& u, const std::vector<bool>& dead, int t) {
  const int p = producer_index(u, t);
  if (p < 0 || dead[size_t(p)]) return -1;
  const Node& n = g.nodes[size_t(p)];
  return (n.op == OpType::kMul || n.op == OpType::kDiv) && n.outputs.size() == 1 ? p : -1;
}

// From phi-ish value e = Erf(.) or Tanh(.) (node `f`): Add(e, 1), then x * that * 0.5 in
// either grouping. Appends the tail nodes to m.
bool match_tail(const Graph& g, const Uses& u, const std::vector<bool>& dead, int f, GeluMatch* m) {
  const int e = g.nodes[size_t(f)].outputs[0];
  const int add = next(g, u, e, OpType::kAdd);
  if (add < 0 || !scalar_near(g, other_input(g.nodes[size_t(add)], e), 1.0)) return false;
  const int a = g.nodes[size_t(add)].outputs[0];
  const int mul = next(g, u, a, OpType::kMul);
  if (mul < 0) return false;
  const int other = other_input(g.nodes[size_t(mul)], a);
  m->nodes.insert(m->nodes.end(), {f, add, mul});
  if (other == m->x) {  // (x * (1 + e)) * 0.5
    const int half = next(g, u, g.nodes[size_t(mul)].outputs[0], OpType::kMul);
    if (half < 0 || !scaled_by(g, g.nodes[size_t(half)], g.nodes[size_t(mul)].outputs[0], 0.5))
      return false;
    m->nodes.push_back(half);
    return true;
  }
  // (x * 0.5) * (1 + e): `other` is x * 0.5, read only here.
  const int hx = scale_producer(g, u, dead, other);
  if (hx < 0 || !u.single_use(other) || g.nodes[size_t(hx)].op != OpType::kMul ||
      !scaled_by(g, g.nodes[size_t(hx)], m->x, 0.5))
    return false;
  m->nodes.insert(m->nodes.begin(), hx);
  return true;
}

// Erf node `f`: its input is x / sqrt 2 (or x * 1/sqrt 2) made for it alone.
bool match_erf(const Graph& g, const Uses& u, const std::vector<bool>& dead, int f, GeluMatch* m) {
  const int d = g.nodes[size_t(f)].inputs[0];
  const int s = scale_producer(g, u, dead, d);
  if (s < 0 || !u.single_use(d)) return false;
  const Node& sn = g.nodes[size_t(s)];
  m->x = sn.inputs[0];
  if (sn.op == OpType::kMul && !scaled_by(g, sn, m->x, M_SQRT1_2)) m->x = sn.inputs[1];
  if (!scaled_by(g, sn, m->x, M_SQRT1_2) || g.tensor(m->x).is_constant()) return false;
  m->nodes = {s};
  return match_tail(g, u, dead, f, m);
}

// Tanh node `f`: its input is sqrt(2/pi) * (x + 0.044715 * Pow(x, 3)).
bool match_tanh(const Graph& g, const Uses& u, const std::vector<bool>& dead, int f, GeluMatch* m) {
  const double k = std::sqrt(2.0 / M_PI);
  const int t = g.nodes[size_t(f)].inputs[0];
  const int ks = scale_producer(g, u, dead, t);
  if (ks < 0 || !u.single_use(t) || g.nodes[size_t(ks)].op != OpType::kMul) return false;
  const Node& kn = g.nodes[size_t(ks)];
  const int inner = scalar_near(g, kn.inputs[0], k) ? kn.inputs[1] : kn.inputs[0];
  if (!scaled_by(g, kn, inner, k) || !u.single_use(inner)) return false;
  const Node* add = producer_of(g, u, dead, inner, OpType::kAdd);
  if (!add || add->inputs.size() != 2 || add->attrs.activation.active()) return false;
  for (int side = 0; side < 2; ++side) {
    const int x = add->inputs[size_t(side)], c = add->inputs[size_t(1 - side)];
    const int cs = scale_producer(g, u, dead, c);
    if (cs < 0 || !u.single_use(c) || g.nodes[size_t(cs)].op != OpType::kMul) continue;
    const Node& cn = g.nodes[size_t(cs)];
    const int cube = scalar_near(g, cn.inputs[0], 0.044715) ? cn.inputs[1] : cn.inputs[0];
    if (!scaled_by(g, cn, cube, 0.044715) || !u.single_use(cube)) continue;
    const Node* pw = producer_of(g, u, dead, cube, OpType::kPow);
    if (!pw || pw->inputs.size() != 2 || pw->inputs[0] != x ||
        !scalar_near(g, pw->inputs[1], 3.0, 0.0) || g.tensor(x).is_constant())
      continue;
    m->x = x;
    m->mode = GeluApproximate::kTanh;
    m->nodes = {producer_index(u, cube), cs, producer_index(u, inner), ks};
    return match_tail(g, u, dead, f, m);
  }
  return false;
}

}  // namespace

Expected<int> pass_fuse_gelu(Graph& g) {
  TANDEM_RETURN_IF_ERROR(check_ids(g, "fuse_gelu"));
  const Uses u(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int rewrites = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const OpType op = g.nodes[i].op;
    if (dead[i] || (op != OpType::kErf && op != OpType::kTanh) || g.nodes[i].inputs.size() != 1)
      continue;
    GeluMatch m;
    const bool ok =
        op == OpType::kErf ? match_erf(g, u, dead, int(i), &m) : match_tanh(g, u, dead, int(i), &m);
    if (!ok || g.tensor(g.nodes[size_t(m.nodes.back())].outputs[0]).shape != g.tensor(m.x).shape)
      continue;
    Node gelu;
    gelu.name = g.nodes[size_t(m.nodes.back())].name + "_gelu";
    gelu.op = OpType::kGelu;
    gelu.attrs.gelu_approximate = m.mode;
    gelu.inputs = {m.x};
    gelu.outputs = g.nodes[size_t(m.nodes.back())].outputs;
    for (size_t k = 0; k + 1 < m.nodes.size(); ++k) dead[size_t(m.nodes[k])] = true;
    g.nodes[size_t(m.nodes.back())] = std::move(gelu);
    ++rewrites;
  }
  erase_nodes(g, dead);
  return rewrites;
}

}  // namespace tandem
