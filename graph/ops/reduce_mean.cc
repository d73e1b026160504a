// ReduceMean and ReduceSum over `axes` (all when empty), keepdims.
#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

Status infer_reduce_mean(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  const Shape& x = c.s(0);
  const int64_t rank = c.rank(0);
  std::vector<bool> reduce(x.size(), c.n.attrs.axes.empty());
  for (int64_t axis : c.n.attrs.axes) {
    int64_t ax = 0;
    if (!normalize_axis(axis, rank, &ax))
      return c.fail("axis " + num(axis) + " out of range for " + str(x));
    if (reduce[static_cast<size_t>(ax)]) return c.fail("axis " + num(axis) + " repeated");
    reduce[static_cast<size_t>(ax)] = true;
  }
  Shape r;
  for (size_t i = 0; i < x.size(); ++i) {
    if (reduce[i] && x[i] == 0) return c.fail("reduces over an empty axis of " + str(x));
    if (!reduce[i]) {
      r.push_back(x[i]);
    } else if (c.n.attrs.keepdims) {
      r.push_back(1);
    }
  }
  out->push_back(std::move(r));
  return Status();
}

}  // namespace

const OpDef op_defs::ReduceMean{infer_reduce_mean, no_macs};
const OpDef op_defs::ReduceSum{infer_reduce_mean, no_macs};

}  // namespace tandem
