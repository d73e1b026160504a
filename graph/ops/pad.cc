// Pad: 2*rank pads (negative ones crop), constant/reflect/edge modes.
#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

Status infer_pad(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  const Shape& x = c.s(0);
  const std::vector<int64_t>& pads = c.n.attrs.pads;
  if (pads.size() != 2 * x.size())
    return c.fail("pads has " + std::to_string(pads.size()) + " entries, expected " +
                  std::to_string(2 * x.size()) + " for input " + str(x));
  Shape r(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const int64_t begin = pads[i];
    const int64_t end = pads[i + x.size()];
    if (begin < -kMaxDim || begin > kMaxDim || end < -kMaxDim || end > kMaxDim)
      return c.fail("pad value out of range");
    r[i] = x[i] + begin + end;
    if (r[i] < 0)
      return c.fail("negative pads crop more than dim " + std::to_string(i) + " of " + str(x) +
                    " holds");
    if (c.n.attrs.pad_mode == PadMode::kReflect && (begin >= x[i] || end >= x[i]) &&
        (begin > 0 || end > 0))
      return c.fail("reflect pads must be smaller than dim " + std::to_string(i) + " of " + str(x));
    if (c.n.attrs.pad_mode == PadMode::kEdge && x[i] == 0 && (begin > 0 || end > 0))
      return c.fail("edge padding of an empty dim");
  }
  out->push_back(std::move(r));
  return Status();
}

}  // namespace

const OpDef op_defs::Pad{infer_pad, no_macs};

}  // namespace tandem
