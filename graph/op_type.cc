#include "graph/op_type.h"

namespace tandem {

std::string_view op_name(OpType op) {
  switch (op) {
#define TANDEM_OP(name, id) \
  case OpType::k##name:     \
    return #name;
#include "graph/ops.def"
#undef TANDEM_OP
  }
  return "Unknown";
}

std::optional<OpType> op_from_name(std::string_view name) {
#define TANDEM_OP(op, id) \
  if (name == #op) return OpType::k##op;
#include "graph/ops.def"
#undef TANDEM_OP
  return std::nullopt;
}

bool op_is_known(uint32_t value) {
  switch (value) {
#define TANDEM_OP(name, id) case id:
#include "graph/ops.def"
#undef TANDEM_OP
    return true;
    default:
      return false;
  }
}

}  // namespace tandem
