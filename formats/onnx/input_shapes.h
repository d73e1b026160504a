// Fixing graph input shapes (from --input-shape) and checking they are static float32.
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <string>

#include "formats/onnx/onnx_tensor.h"

namespace tandem::onnx_import {

// Applies `requested` shapes to the graph inputs (key "" = the only input),
// then fails, naming the input, when one is not float32 or still has a
// dynamic dimension; also fails on non-float32 graph outputs.
Status fix_input_shapes(const std::string& path, onnx::GraphProto* g,
                        const std::map<std::string, Shape>& requested);

// What `requested` changes, before fix_input_shapes applies it, for the model's
// metadata: "input batchx3x224x224 -> 2x3x224x224" per input ("; " between), the
// exported dims with their symbolic names. Empty when nothing is requested.
std::string input_shape_note(const onnx::GraphProto& g,
                             const std::map<std::string, Shape>& requested);

}  // namespace tandem::onnx_import
