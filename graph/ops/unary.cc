// Elementwise ops of one input (activations, Identity, Erf, Sqrt, Gelu): the output has
// the input's shape, and they do no multiply-accumulates.
#include "graph/ops/rules.h"

namespace tandem {
namespace {

Status infer_gelu(const ShapeContext& c, std::vector<Shape>* out) {
  if (static_cast<int>(c.n.attrs.gelu_approximate) > static_cast<int>(GeluApproximate::kTanh))
    return c.fail("unknown gelu approximation");
  return rules::infer_unary(c, out);
}

}  // namespace

const OpDef op_defs::Relu{rules::infer_unary, rules::no_macs};
const OpDef op_defs::Clip{rules::infer_unary, rules::no_macs};
const OpDef op_defs::Sigmoid{rules::infer_unary, rules::no_macs};
const OpDef op_defs::HardSigmoid{rules::infer_unary, rules::no_macs};
const OpDef op_defs::HardSwish{rules::infer_unary, rules::no_macs};
const OpDef op_defs::Tanh{rules::infer_unary, rules::no_macs};
const OpDef op_defs::LeakyRelu{rules::infer_unary, rules::no_macs};
const OpDef op_defs::Identity{rules::infer_unary, rules::no_macs};
const OpDef op_defs::Erf{rules::infer_unary, rules::no_macs};
const OpDef op_defs::Sqrt{rules::infer_unary, rules::no_macs};
const OpDef op_defs::Gelu{infer_gelu, rules::no_macs};

}  // namespace tandem
