// Loading an ONNX file into a ModelProto: parse, validate, inline external data.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "graph/status.h"

namespace tandem::onnx_import {

// Lowest and highest default-domain opsets the converter maps (torch.onnx.export 1.13
// writes 7..17).
constexpr int64_t kMinOpset = 11;
constexpr int64_t kMaxOpset = 17;

// Parses `path` and reads tensors stored as external data (paths relative to
// the model's folder) into the proto. Errors name the file.
Status load_onnx_model(const std::string& path, onnx::ModelProto* model);
// Same from bytes in memory; `path` names the model in errors and locates external data.
Status parse_onnx_model(const void* data, size_t size, const std::string& path,
                        onnx::ModelProto* model);
// Runs ONNX's checker (after the converter has listed unsupported ops, which it reports better).
Status check_onnx_model(const std::string& path, onnx::ModelProto* model);

// The model's default-domain ("" / "ai.onnx") opset, or 0 when it has none.
int64_t default_opset(const onnx::ModelProto& model);

}  // namespace tandem::onnx_import
