// Add, Sub, Mul, Div, Pow: numpy broadcasting of the two inputs.
#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

Status infer_binary(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 2, 2, 2, 1));
  Shape r;
  if (!broadcast_shapes(c.s(0), c.s(1), &r))
    return c.fail("inputs " + str(c.s(0)) + " and " + str(c.s(1)) + " do not broadcast");
  out->push_back(std::move(r));
  return Status();
}

}  // namespace

const OpDef op_defs::Add{infer_binary, no_macs};
const OpDef op_defs::Sub{infer_binary, no_macs};
const OpDef op_defs::Mul{infer_binary, no_macs};
const OpDef op_defs::Div{infer_binary, no_macs};
const OpDef op_defs::Pow{infer_binary, no_macs};

}  // namespace tandem
