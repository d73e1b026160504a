// Split along `axis` into the sizes of `split` (equal parts when empty).
#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

Status infer_split(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 0));
  int64_t axis = 0;
  if (!normalize_axis(c.n.attrs.axis, c.rank(0), &axis))
    return c.fail("axis " + num(c.n.attrs.axis) + " out of range for " + str(c.s(0)));
  std::vector<int64_t> sizes;
  TANDEM_RETURN_IF_ERROR(split_sizes(c.n.attrs, c.s(0)[static_cast<size_t>(axis)],
                                     c.n.outputs.size(), c.what, &sizes));
  for (int64_t size : sizes) {
    Shape r = c.s(0);
    r[static_cast<size_t>(axis)] = size;
    out->push_back(std::move(r));
  }
  return Status();
}

}  // namespace

const OpDef op_defs::Split{infer_split, no_macs};

}  // namespace tandem
