// MatMul with numpy batch broadcasting and 1-D operands; MACs output x K.
#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

Status infer_matmul(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 2, 2, 2, 1));
  Shape a = c.s(0);
  Shape b = c.s(1);
  if (a.empty() || b.empty())
    return c.fail("inputs must have rank >= 1, got " + str(a) + " and " + str(b));
  const bool a_vec = a.size() == 1;
  const bool b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  if (a[a.size() - 1] != b[b.size() - 2])
    return c.fail("inputs " + str(c.s(0)) + " and " + str(c.s(1)) + " disagree on K");
  Shape batch;
  if (!broadcast_shapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2), &batch))
    return c.fail("batch dims of " + str(c.s(0)) + " and " + str(c.s(1)) + " do not broadcast");
  Shape r = batch;
  if (!a_vec) r.push_back(a[a.size() - 2]);
  if (!b_vec) r.push_back(b.back());
  out->push_back(std::move(r));
  return Status();
}

int64_t matmul_macs(const Graph& g, const Node& n) {
  const Shape& a = g.tensor(n.inputs[0]).shape;
  if (a.empty()) return 0;
  return output_elements(g, n, 0) * a.back();
}

}  // namespace

const OpDef op_defs::MatMul{infer_matmul, matmul_macs};

}  // namespace tandem
