// Slice with starts/ends/axes/steps clamped as in ONNX (graph/shape_util.h).
#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

Status infer_slice(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  std::vector<SliceDim> dims;
  TANDEM_RETURN_IF_ERROR(slice_dims(c.n.attrs, c.s(0), c.what, &dims));
  Shape r;
  for (const SliceDim& d : dims) r.push_back(d.count);
  out->push_back(std::move(r));
  return Status();
}

}  // namespace

const OpDef op_defs::Slice{infer_slice, no_macs};

}  // namespace tandem
