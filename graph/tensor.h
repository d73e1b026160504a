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

enum class DType : uint8_t { kFloat32 = 1, kInt64 = 2 };
const char* dtype_name(DType dtype);
size_t dtype_size(DType dtype);

// Immutable bytes of a constant tensor; `owner` keeps the storage alive.
struct ConstantData {
  const void* data = nullptr;
  size_t bytes = 0;
  std::shared_ptr<const void> owner;

  const float* f32() const { return static_cast<const float*>(data); }
  // Copies `values` into heap storage owned by the result.
  static std::shared_ptr<const ConstantData> from_floats(std::vector<float> values);
};

struct Tensor {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;                               // empty before shape inference
  std::shared_ptr<const ConstantData> data;  // non-null for constants (weights)

  bool is_constant() const { return data != nullptr; }
};

// Product of dims (1 for a scalar); -1 when a dim is negative or it overflows int64.
int64_t shape_elements(const Shape& shape);
// "1x3x224x224"; "scalar" for rank 0.
std::string shape_to_string(const Shape& shape);

}  // namespace tandem
