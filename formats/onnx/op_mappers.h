// ONNX op type -> mapping function onto ops.def, one family per file
// (map_conv_pool.cc, map_elementwise.cc, map_tensor.cc, map_linear.cc, map_resize.cc).
#pragma once

#include <string>
#include <unordered_map>

#include "formats/onnx/import_context.h"

namespace tandem::onnx_import {

using OpMapper = Status (*)(ImportContext& ctx, const onnx::NodeProto& n);

struct MapperTable {
  std::unordered_map<std::string, OpMapper> by_type;
  void add(const std::string& op_type, OpMapper fn) { by_type[op_type] = fn; }
  OpMapper find(const std::string& op_type) const {
    auto it = by_type.find(op_type);
    return it == by_type.end() ? nullptr : it->second;
  }
};

void add_conv_pool_mappers(MapperTable& t);
void add_elementwise_mappers(MapperTable& t);
void add_tensor_mappers(MapperTable& t);
void add_linear_mappers(MapperTable& t);
void add_resize_mappers(MapperTable& t);  // map_resize.cc
void add_quant_mappers(MapperTable& t);   // map_quant.cc

// Every family registered, built on first use.
const MapperTable& op_mappers();

// Shape computations (Shape, Gather, Unsqueeze, Concat, Constant, Cast, ...)
// whose inputs are all known at conversion time are evaluated here instead of
// becoming graph nodes. Returns true when `n` was folded.
Expected<bool> try_fold(ImportContext& ctx, const onnx::NodeProto& n);
// Op types that exist only as foldable computations (no mapping onto ops.def).
bool is_fold_only_op(const std::string& op_type);

}  // namespace tandem::onnx_import
