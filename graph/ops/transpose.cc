// Transpose by `perm` (reversed dims when empty).
#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

Status infer_transpose(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  const Shape& x = c.s(0);
  std::vector<int64_t> perm = c.n.attrs.perm;
  if (perm.empty())
    for (size_t i = x.size(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  if (perm.size() != x.size())
    return c.fail("perm has " + std::to_string(perm.size()) + " entries for input " + str(x));
  std::vector<bool> seen(x.size(), false);
  Shape r;
  for (int64_t p : perm) {
    if (p < 0 || p >= c.rank(0) || seen[static_cast<size_t>(p)])
      return c.fail("perm is not a permutation of 0.." + num(c.rank(0) - 1));
    seen[static_cast<size_t>(p)] = true;
    r.push_back(x[static_cast<size_t>(p)]);
  }
  out->push_back(std::move(r));
  return Status();
}

}  // namespace

const OpDef op_defs::Transpose{infer_transpose, no_macs};

}  // namespace tandem
