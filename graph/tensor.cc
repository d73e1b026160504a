#include "graph/tensor.h"

#include <limits>

namespace tandem {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kInt64:
      return "int64";
    case DType::kInt8:
      return "int8";
    case DType::kInt32:
      return "int32";
  }
  return "unknown";
}

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return 4;
    case DType::kInt64:
      return 8;
    case DType::kInt8:
      return 1;
    case DType::kInt32:
      return 4;
  }
  return 0;
}

namespace {
template <typename T>
std::shared_ptr<const ConstantData> constant_from(std::vector<T> values) {
  auto storage = std::make_shared<std::vector<T>>(std::move(values));
  auto c = std::make_shared<ConstantData>();
  c->data = storage->data();
  c->bytes = storage->size() * sizeof(T);
  c->owner = storage;
  return c;
}
}  // namespace

std::shared_ptr<const ConstantData> ConstantData::from_floats(std::vector<float> values) {
  return constant_from(std::move(values));
}
std::shared_ptr<const ConstantData> ConstantData::from_int8(std::vector<int8_t> values) {
  return constant_from(std::move(values));
}
std::shared_ptr<const ConstantData> ConstantData::from_int32(std::vector<int32_t> values) {
  return constant_from(std::move(values));
}

int64_t shape_elements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return -1;
    n *= d;
  }
  return n;
}

std::string shape_to_string(const Shape& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
}

}  // namespace tandem
