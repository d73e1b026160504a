// Gemm: Y = alpha * A' * B' + beta * C on 2-D A and B; MACs M x N x K.
#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

Status infer_gemm(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 2, 3, 2, 1));
  TANDEM_RETURN_IF_ERROR(check_rank(c, 0, 2, "input A"));
  TANDEM_RETURN_IF_ERROR(check_rank(c, 1, 2, "input B"));
  const NodeAttrs& a = c.n.attrs;
  const Shape& sa = c.s(0);
  const Shape& sb = c.s(1);
  const int64_t m = a.trans_a ? sa[1] : sa[0];
  const int64_t ka = a.trans_a ? sa[0] : sa[1];
  const int64_t kb = a.trans_b ? sb[1] : sb[0];
  const int64_t n = a.trans_b ? sb[0] : sb[1];
  if (ka != kb)
    return c.fail("A " + str(sa) + (a.trans_a ? "^T" : "") + " and B " + str(sb) +
                  (a.trans_b ? "^T" : "") + " disagree on K (" + num(ka) + " vs " + num(kb) + ")");
  Shape r{m, n};
  if (c.in.size() == 3 && c.in[2]) {
    // C broadcasts one way, to [M, N].
    Shape b;
    if (c.rank(2) > 2 || !broadcast_shapes(r, c.s(2), &b) || b != r)
      return c.fail("C has shape " + str(c.s(2)) + ", which does not broadcast to " + str(r));
  }
  out->push_back(std::move(r));
  return Status();
}

int64_t gemm_macs(const Graph& g, const Node& n) {
  const Shape& a = g.tensor(n.inputs[0]).shape;
  if (a.empty()) return 0;
  const int64_t k = n.attrs.trans_a ? a[a.size() - 2] : a.back();
  return output_elements(g, n, 0) * k;
}

}  // namespace

const OpDef op_defs::Gemm{infer_gemm, gemm_macs};

}  // namespace tandem
