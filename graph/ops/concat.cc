// Concat along `axis`: the other dims agree.
#include "graph/ops/rules.h"

#include <cstdint>

namespace tandem {
namespace {
using namespace rules;

Status infer_concat(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, SIZE_MAX, c.in.size(), 1));
  const Shape& first = c.s(0);
  int64_t axis = 0;
  if (!normalize_axis(c.n.attrs.axis, c.rank(0), &axis))
    return c.fail("axis " + num(c.n.attrs.axis) + " out of range for " + str(first));
  Shape r = first;
  r[static_cast<size_t>(axis)] = 0;
  for (size_t i = 0; i < c.in.size(); ++i) {
    const Shape& s = c.s(i);
    bool ok = s.size() == first.size();
    for (size_t d = 0; ok && d < s.size(); ++d)
      if (d != static_cast<size_t>(axis) && s[d] != first[d]) ok = false;
    if (!ok)
      return c.fail("input " + std::to_string(i) + " has shape " + str(s) + ", incompatible with " +
                    str(first) + " along axis " + num(axis));
    r[static_cast<size_t>(axis)] += s[static_cast<size_t>(axis)];
  }
  out->push_back(std::move(r));
  return Status();
}

}  // namespace

const OpDef op_defs::Concat{infer_concat, no_macs};

}  // namespace tandem
