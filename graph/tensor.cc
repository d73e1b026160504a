#include "graph/tensor.h"

#include <limits>

namespace tandem {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kInt64:
      return "int64";
  }
  return "unknown";
}

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return 4;
    case DType::kInt64:
      return 8;
  }
  return 0;
}

std::shared_ptr<const ConstantData> ConstantData::from_floats(std::vector<float> values) {
  auto storage = std::make_shared<std::vector<float>>(std::move(values));
  auto c = std::make_shared<ConstantData>();
  c->data = storage->data();
  c->bytes = storage->size() * sizeof(float);
  c->owner = storage;
  return c;
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
