// Tensors of the graph IR: name, dtype, logical shape (ONNX order, NCHW for
// images) and, for constants, a view of their bytes that keeps its owner alive
// (a heap vector or the model file's mapping).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tandem {

using Shape = std::vector<int64_t>;

// Values as in tandem.fbs (append only). Int8/Int32: quantized tensors (docs/int8.md).
enum class DType : uint8_t { kFloat32 = 1, kInt64 = 2, kInt8 = 3, kInt32 = 4 };
const char* dtype_name(DType dtype);
size_t dtype_size(DType dtype);

// Immutable bytes of a constant tensor; `owner` keeps the storage alive.
struct ConstantData {
  const void* data = nullptr;
  size_t bytes = 0;
  std::shared_ptr<const void> owner;

  const float* f32() const { return static_cast<const float*>(data); }
  const int8_t* i8() const { return static_cast<const int8_t*>(data); }
  const int32_t* i32() const { return static_cast<const int32_t*>(data); }
  // Copies `values` into heap storage owned by the result.
  static std::shared_ptr<const ConstantData> from_floats(std::vector<float> values);
  static std::shared_ptr<const ConstantData> from_int8(std::vector<int8_t> values);
  static std::shared_ptr<const ConstantData> from_int32(std::vector<int32_t> values);
};

// Quantization of an int8/int32 tensor: real = (q - zero_point) * scale.
// One entry per tensor (axis -1) or one per index of dimension `axis`
// (per-channel weights). Empty `scale`: not quantized.
struct Quantization {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int axis = -1;

  bool empty() const { return scale.empty(); }
  bool per_tensor() const { return scale.size() == 1 && axis < 0; }
  bool operator==(const Quantization& o) const {
    return scale == o.scale && zero_point == o.zero_point && axis == o.axis;
  }
  bool operator!=(const Quantization& o) const { return !(*this == o); }
};

struct Tensor {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;                               // empty before shape inference
  std::shared_ptr<const ConstantData> data;  // non-null for constants (weights)
  Quantization quant;                        // int8/int32 tensors (docs/int8.md)

  bool is_constant() const { return data != nullptr; }
};

// Product of dims (1 for a scalar); -1 when a dim is negative or it overflows int64.
int64_t shape_elements(const Shape& shape);
// "1x3x224x224"; "scalar" for rank 0.
std::string shape_to_string(const Shape& shape);

}  // namespace tandem
