// Conversion-time folds of the broadcasting and index ops exporters write into
// shape-only subgraphs (ViT's class-token Expand, Swin's shifted-window masks):
// Expand, Equal, Where, Range, Mod, Not, ScatterND (Swin's window padding is Mod math),
// and Transpose of constants (Swin's integer mask windows).
// fold_broadcast.cc; the table that uses them is in shape_folding.cc.
#pragma once

#include <vector>

#include "formats/onnx/import_context.h"

namespace tandem::onnx_import {

using FoldInputs = std::vector<const ConstValue*>;

Expected<ConstValue> fold_expand(ImportContext& ctx, const onnx::NodeProto& n,
                                 const FoldInputs& in);
Expected<ConstValue> fold_equal(ImportContext& ctx, const onnx::NodeProto& n, const FoldInputs& in);
Expected<ConstValue> fold_where(ImportContext& ctx, const onnx::NodeProto& n, const FoldInputs& in);
Expected<ConstValue> fold_range(ImportContext& ctx, const onnx::NodeProto& n, const FoldInputs& in);
Expected<ConstValue> fold_mod(ImportContext& ctx, const onnx::NodeProto& n, const FoldInputs& in);
Expected<ConstValue> fold_transpose(ImportContext& ctx, const onnx::NodeProto& n,
                                    const FoldInputs& in);
Expected<ConstValue> fold_not(ImportContext& ctx, const onnx::NodeProto& n, const FoldInputs& in);
Expected<ConstValue> fold_scatter_nd(ImportContext& ctx, const onnx::NodeProto& n,
                                     const FoldInputs& in);

}  // namespace tandem::onnx_import
