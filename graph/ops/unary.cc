// Elementwise ops of one input (activations, Identity, Erf): the output has
// the input's shape, and they do no multiply-accumulates.
#include "graph/ops/rules.h"

namespace tandem {

const OpDef op_defs::Relu{rules::infer_unary, rules::no_macs};
const OpDef op_defs::Clip{rules::infer_unary, rules::no_macs};
const OpDef op_defs::Sigmoid{rules::infer_unary, rules::no_macs};
const OpDef op_defs::HardSigmoid{rules::infer_unary, rules::no_macs};
const OpDef op_defs::HardSwish{rules::infer_unary, rules::no_macs};
const OpDef op_defs::Tanh{rules::infer_unary, rules::no_macs};
const OpDef op_defs::LeakyRelu{rules::infer_unary, rules::no_macs};
const OpDef op_defs::Identity{rules::infer_unary, rules::no_macs};
const OpDef op_defs::Erf{rules::infer_unary, rules::no_macs};

}  // namespace tandem
