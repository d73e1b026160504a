// A named float32 tensor in host memory (graph layout, C order).
#pragma once

#include <string>
#include <vector>

#include "graph/tensor.h"

namespace tandem {

struct HostTensor {
  std::string name;
  Shape shape;
  std::vector<float> data;
};

}  // namespace tandem
