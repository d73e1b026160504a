// Mapping between the IR's NodeAttrs and the schema's per-op parameter tables.
#pragma once

#include "formats/tandem_generated.h"
#include "graph/node.h"
#include "graph/status.h"

namespace tandem {

// Serialises the parameters `n.op` uses; type NONE for ops without any.
flatbuffers::Offset<void> build_op_params(flatbuffers::FlatBufferBuilder& fbb, const Node& n,
                                          fb::OpParams* type);

// Reads the parameter table of `node` (op `op`) into `attrs`; fails when the
// table's type does not belong to the op. Absent tables leave the defaults.
Status read_op_params(const fb::Node& node, OpType op, NodeAttrs* attrs);

// Upper bound on entries of any parameter list (ranks are <= 8, pads 2*rank).
constexpr size_t kMaxParamListSize = 16;

}  // namespace tandem
