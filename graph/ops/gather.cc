// Gather along `axis` with indices fixed at conversion time: the output is the
// input with that axis replaced by indices_shape (dropped for a scalar index).
#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

Status infer_gather(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  const Shape& x = c.s(0);
  const NodeAttrs& a = c.n.attrs;
  if (x.empty()) return c.fail("gathers from a scalar");
  if (a.axis < 0 || a.axis >= c.rank(0))
    return c.fail("axis " + num(a.axis) + " is outside input " + str(x));
  for (int64_t d : a.indices_shape)
    if (d < 0) return c.fail("indices_shape " + str(a.indices_shape) + " has a negative dim");
  if (shape_elements(a.indices_shape) != static_cast<int64_t>(a.indices.size()))
    return c.fail(num(static_cast<int64_t>(a.indices.size())) + " indices for indices_shape " +
                  str(a.indices_shape));
  const int64_t dim = x[static_cast<size_t>(a.axis)];
  for (int64_t i : a.indices)
    if (i < 0 || i >= dim)
      return c.fail("index " + num(i) + " is out of range for dimension " + num(dim) + " of " +
                    str(x));
  Shape r(x.begin(), x.begin() + a.axis);
  r.insert(r.end(), a.indices_shape.begin(), a.indices_shape.end());
  r.insert(r.end(), x.begin() + a.axis + 1, x.end());
  out->push_back(std::move(r));
  return Status();
}

}  // namespace

const OpDef op_defs::Gather{infer_gather, no_macs};

}  // namespace tandem
