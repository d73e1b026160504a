// Strided block copies between device tensors: the data movement of Concat
// inputs that could not be written in place, and of Split.
#pragma once

#include <vector>

#include "kernels/opencl/op.h"

namespace tandem::ocl {

// Copies `rows` rows of `row_elems` elements; row r of src starts at
// src.offset + r*src_pitch, of dst at dst.offset + r*dst_pitch (elements).
struct RectCopy {
  DeviceTensor src, dst;
  size_t rows = 0, row_elems = 0, src_pitch = 0, dst_pitch = 0;
};

class CopyRectOp : public Op {
 public:
  std::vector<RectCopy> copies;
  size_t element_size = 4;
  std::string node_name;
  Status enqueue(cl_command_queue queue) override;
};

}  // namespace tandem::ocl
