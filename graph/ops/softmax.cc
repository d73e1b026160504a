// Softmax along `axis`: the output has the input's shape.
#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

Status infer_softmax(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  int64_t axis = 0;
  if (!normalize_axis(c.n.attrs.axis, c.rank(0), &axis))
    return c.fail("axis " + num(c.n.attrs.axis) + " out of range for " + str(c.s(0)));
  out->push_back(c.s(0));
  return Status();
}

}  // namespace

const OpDef op_defs::Softmax{infer_softmax, no_macs};

}  // namespace tandem
