// Resize: nearest or (bi)linear resampling of a 4-D NCHW tensor along H and W.
// The converter fixes the output shape (`sizes`) and the scales the coordinate
// transform divides by; N and C keep their size.
#include <cmath>

#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

Status infer_resize(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  const Shape& x = c.s(0);
  const NodeAttrs& a = c.n.attrs;
  if (x.size() != 4) return c.fail("Resize needs a 4-D NCHW input, got " + str(x));
  if (a.sizes.size() != 4 || a.scales.size() != 4)
    return c.fail("Resize needs 4 sizes and 4 scales, got " + num(int64_t(a.sizes.size())) +
                  " and " + num(int64_t(a.scales.size())));
  if (a.sizes[0] != x[0] || a.sizes[1] != x[1])
    return c.fail("Resize changes only H and W; sizes " + str(a.sizes) + " for input " + str(x));
  for (size_t i = 2; i < 4; ++i) {
    if (a.sizes[i] <= 0 || a.sizes[i] > kMaxDim)
      return c.fail("output size " + num(a.sizes[i]) + " out of range");
    if (!(a.scales[i] > 0.0f) || !std::isfinite(a.scales[i]))
      return c.fail("scale of dim " + num(int64_t(i)) + " must be positive and finite");
    if (x[i] <= 0) return c.fail("Resize of an empty input " + str(x));
  }
  if (a.resize_mode != ResizeMode::kNearest && a.resize_mode != ResizeMode::kLinear)
    return c.fail("unknown resize mode");
  if (static_cast<int>(a.resize_coordinate) >
      static_cast<int>(ResizeCoordinate::kHalfPixelSymmetric))
    return c.fail("unknown coordinate transformation mode");
  if (static_cast<int>(a.resize_nearest) > static_cast<int>(ResizeNearest::kCeil))
    return c.fail("unknown nearest mode");
  out->push_back(a.sizes);
  return Status();
}

}  // namespace

const OpDef op_defs::Resize{infer_resize, no_macs};

}  // namespace tandem
