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
  size_t element_size = 4;
  std::string node_name;
  // Contiguous copies go to clEnqueueCopyBuffer, strided ones to cl/copy.cl.
  Status add(OpContext& ctx, const RectCopy& c);
  Status enqueue(cl_command_queue queue) override;

 private:
  std::vector<RectCopy> contiguous_;
  std::vector<Launch> strided_;
};

}  // namespace tandem::ocl
