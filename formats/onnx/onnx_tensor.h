// ONNX TensorProto -> values the converter can use (float32 weights, int64 shape data).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "graph/status.h"
#include "graph/tensor.h"

namespace tandem::onnx_import {

// A value known at conversion time: an initializer, a Constant node's output,
// or the result of folding a shape computation.
struct ConstValue {
  bool is_float = true;   // float32 data in `f`, else integer data (int64/int32/bool) in `i`
  int32_t elem_type = 0;  // the ONNX element type it was decoded from (0: computed)
  Shape shape;
  std::vector<float> f;
  std::vector<int64_t> i;

  size_t size() const { return is_float ? f.size() : i.size(); }
  // Element k as double / int64, whatever the storage.
  double as_double(size_t k) const { return is_float ? f[k] : static_cast<double>(i[k]); }
  // Floats are saturated (NaN -> 0): a hostile file must not make the cast UB (fuzzer finding).
  int64_t as_int(size_t k) const {
    if (!is_float) return i[k];
    const float v = f[k];
    if (!(v == v)) return 0;
    if (v >= 9.2e18f) return std::numeric_limits<int64_t>::max();
    if (v <= -9.2e18f) return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(v);
  }
};

// Decodes `t` (raw_data or the typed repeated fields). float32 and integer
// types only: other float types (float16, double, bfloat16) are unsupported,
// since Tandem runs float32 graphs. `what` names the tensor in errors.
Expected<ConstValue> decode_tensor(const onnx::TensorProto& t, const std::string& what);

// ONNX element type name ("FLOAT16", ...) for messages.
std::string elem_type_name(int32_t elem_type);

}  // namespace tandem::onnx_import
