// LayerNormalization over consecutive axes `axes` (ascending, non-negative
// after conversion): x, scale and an optional bias, each of the latter with as
// many elements as one normalised slice (indexed by position in the slice, so
// [C], [C, 1, 1] and [1, C] all serve a normalisation over C). Output: x's shape.
#include <cmath>

#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

// Elements of one normalised slice, or an error naming what is wrong with `axes`.
Status normalized_size(const ShapeContext& c, int64_t* size) {
  const Shape& x = c.s(0);
  const std::vector<int64_t>& axes = c.n.attrs.axes;
  if (axes.empty()) return c.fail("LayerNormalization needs at least one axis");
  *size = 1;
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= c.rank(0))
      return c.fail("axis " + num(axes[i]) + " out of range for " + str(x));
    if (i > 0 && axes[i] != axes[i - 1] + 1)
      return c.fail("axes " + str(axes) + " are not consecutive and ascending");
    *size *= x[size_t(axes[i])];
  }
  if (*size <= 0) return c.fail("normalises over an empty axis of " + str(x));
  return Status();
}

Status infer_layer_norm(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 2, 3, 2, 1));
  int64_t size = 0;
  TANDEM_RETURN_IF_ERROR(normalized_size(c, &size));
  const char* names[] = {"scale", "bias"};
  for (size_t i = 1; i < c.in.size(); ++i) {
    if (!c.in[i]) continue;
    if (shape_elements(c.s(i)) != size)
      return c.fail(std::string(names[i - 1]) + " has shape " + str(c.s(i)) + ", " + num(size) +
                    " elements expected (one per normalised element)");
  }
  if (!(c.n.attrs.epsilon >= 0.0f) || !std::isfinite(c.n.attrs.epsilon))
    return c.fail("epsilon must be finite and non-negative");
  out->push_back(c.s(0));
  return Status();
}

}  // namespace

const OpDef op_defs::LayerNormalization{infer_layer_norm, no_macs};

}  // namespace tandem
