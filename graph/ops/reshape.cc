// Reshape (0 copies a dim, -1 is inferred) and Flatten (2-D at `axis`).
#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

Status infer_reshape(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  const Shape& x = c.s(0);
  const int64_t total = shape_elements(x);
  Shape r;
  int infer_at = -1;
  int64_t known = 1;
  for (size_t i = 0; i < c.n.attrs.shape.size(); ++i) {
    int64_t d = c.n.attrs.shape[i];
    if (d == 0) {
      // ONNX (allowzero = 0): 0 copies the input's dim at the same index.
      if (i >= x.size())
        return c.fail("shape entry " + std::to_string(i) + " is 0 but input " + str(x) +
                      " has no such dim");
      d = x[i];
    } else if (d == -1) {
      if (infer_at >= 0) return c.fail("shape has more than one -1");
      infer_at = static_cast<int>(i);
      r.push_back(1);
      continue;
    } else if (d < -1 || d > kMaxDim) {
      return c.fail("shape entry " + num(d) + " out of range");
    }
    // Checked before multiplying: known <= 2^40 times d <= 2^31 could overflow.
    if (d != 0 && known > kMaxElements / d) return c.fail("target shape is too large");
    known *= d;
    r.push_back(d);
  }
  if (infer_at >= 0) {
    if (known == 0 || total % known != 0)
      return c.fail("cannot infer the -1 in the target shape for input " + str(x));
    r[static_cast<size_t>(infer_at)] = total / known;
  } else if (known != total) {
    return c.fail("target shape " + str(r) + " has " + num(known) + " elements, input " + str(x) +
                  " has " + num(total));
  }
  out->push_back(std::move(r));
  return Status();
}

Status infer_flatten(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  const Shape& x = c.s(0);
  int64_t axis = c.n.attrs.axis;
  if (axis < 0) axis += c.rank(0);
  if (axis < 0 || axis > c.rank(0))
    return c.fail("axis " + num(c.n.attrs.axis) + " out of range for " + str(x));
  const size_t ax = static_cast<size_t>(axis);
  out->push_back({dims_product(x, 0, ax), dims_product(x, ax, x.size())});
  return Status();
}

}  // namespace

const OpDef op_defs::Reshape{infer_reshape, no_macs};
const OpDef op_defs::Flatten{infer_flatten, no_macs};

}  // namespace tandem
