// Guards run before ONNX shape inference, which trusts attributes more than it should.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "graph/status.h"

namespace tandem::onnx_import {

// Conv/MaxPool/AveragePool attribute lengths and signs agree with the kernel rank.
Status precheck_graph(const std::string& path, const onnx::GraphProto& g);

}  // namespace tandem::onnx_import
