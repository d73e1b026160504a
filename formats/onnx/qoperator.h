// ONNX's QOperator form (QLinearConv, QLinearMatMul, and ONNX Runtime's com.microsoft
// QLinearAdd, QLinearMul, QLinearGlobalAveragePool, QLinearAveragePool, QLinearConcat,
// QGemm) rewritten into the QDQ form the converter already imports (docs/int8.md):
// each node becomes DequantizeLinear on its int8 inputs, the float op, and
// QuantizeLinear with its output scale and zero point. The int8 ops then come from
// pass_fuse_qdq as for a QDQ file, with the same arithmetic.
//
// Ops that pass int8 tensors through unchanged in a QOperator graph (MaxPool,
// Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Identity) get the same wrapping,
// with their input's scale and zero point on the output, as quantize_static writes
// them in QDQ form.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "graph/status.h"

namespace tandem::onnx_import {

// Rewrites g in place; `path` names the file in errors (a scale that is not an
// initializer, an unsupported attribute such as channels_last). Graphs without
// QOperator nodes are left as they are. `*rewritten` counts the nodes replaced.
Status expand_qoperator(const std::string& path, onnx::GraphProto* g, int* rewritten);

}  // namespace tandem::onnx_import
