// OpType enum and names, generated from graph/ops.def.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem {

enum class OpType : uint16_t {
#define TANDEM_OP(name, id) k##name = id,
#include "graph/ops.def"
#undef TANDEM_OP
};

// Every op, in ops.def order.
inline constexpr OpType kAllOps[] = {
#define TANDEM_OP(name, id) OpType::k##name,
#include "graph/ops.def"
#undef TANDEM_OP
};

// "Conv", "MaxPool", ...; "Unknown" for values outside ops.def.
std::string_view op_name(OpType op);
// Inverse of op_name (ONNX op_type spelling); nullopt when not in ops.def.
std::optional<OpType> op_from_name(std::string_view name);
// True for values that ops.def defines (guards casts from file data).
bool op_is_known(uint32_t value);

}  // namespace tandem
