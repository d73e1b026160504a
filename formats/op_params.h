// Mapping between the IR's NodeAttrs and the schema's per-op parameter tables:
// one row per op with parameters in op_params.cc's codec table.
#pragma once

#include "formats/tandem_generated.h"
#include "graph/node.h"
#include "graph/status.h"

namespace tandem {

// Serialises the parameters `n.op` uses; type NONE for ops without any.
flatbuffers::Offset<void> build_op_params(flatbuffers::FlatBufferBuilder& fbb, const Node& n,
                                          fb::OpParams* type);

// The parameter table `op` carries (NONE for ops without parameters).
fb::OpParams op_params_type(OpType op);

// Reads the parameter table of `node` (op `op`) into `attrs`; fails when the
// table's type does not belong to the op. Absent tables leave the defaults.
Status read_op_params(const fb::Node& node, OpType op, NodeAttrs* attrs);

// The Verifier checks only 4-byte alignment of vectors; 64-bit elements
// must be 8-byte aligned to be read without undefined behaviour. An empty
// vector (a scalar's shape) reads nothing, and the writer may leave it 4-aligned.
inline bool longs_aligned(const flatbuffers::Vector<int64_t>* v) {
  return v->size() == 0 || reinterpret_cast<uintptr_t>(v->Data()) % alignof(int64_t) == 0;
}

// Upper bound on entries of any parameter list (ranks are <= 8, pads 2*rank).
constexpr size_t kMaxParamListSize = 16;
// Gather's index list (the one parameter list that is data, not per-dimension).
constexpr size_t kMaxGatherIndices = size_t(1) << 20;

}  // namespace tandem
