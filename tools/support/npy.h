// NumPy .npy files: float32, C order (version 1.0/2.0 headers).
#pragma once

#include <string>
#include <vector>

#include "graph/status.h"
#include "graph/tensor.h"

namespace tandem {

struct NpyArray {
  Shape shape;
  std::vector<float> data;
};

// Reads a float32 C-order array; other dtypes, Fortran order or a malformed
// header give an error naming the file.
Expected<NpyArray> read_npy(const std::string& path);
// Writes a float32 C-order array (version 1.0 header).
Status write_npy(const std::string& path, const NpyArray& array);

}  // namespace tandem
