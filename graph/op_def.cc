// The op table, generated from ops.def: nothing here changes when an op is added.
#include "graph/op_def.h"

namespace tandem {

const OpDef* find_op_def(OpType op) {
  switch (op) {
#define TANDEM_OP(name, id) \
  case OpType::k##name:     \
    return &op_defs::name;
#include "graph/ops.def"
#undef TANDEM_OP
  }
  return nullptr;
}

}  // namespace tandem
