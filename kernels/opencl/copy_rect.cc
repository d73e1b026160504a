#include "kernels/opencl/copy_rect.h"

namespace tandem::ocl {

Status CopyRectOp::enqueue(cl_command_queue queue) {
  const size_t es = element_size;
  for (const RectCopy& c : copies) {
    cl_int err;
    if (c.rows == 1) {
      err = clEnqueueCopyBuffer(queue, c.src.mem, c.dst.mem, size_t(c.src.offset) * es,
                                size_t(c.dst.offset) * es, c.row_elems * es, 0, nullptr, nullptr);
    } else {
      const size_t src_origin[3] = {size_t(c.src.offset) * es, 0, 0};
      const size_t dst_origin[3] = {size_t(c.dst.offset) * es, 0, 0};
      const size_t region[3] = {c.row_elems * es, c.rows, 1};
      err = clEnqueueCopyBufferRect(queue, c.src.mem, c.dst.mem, src_origin, dst_origin, region,
                                    c.src_pitch * es, 0, c.dst_pitch * es, 0, 0, nullptr, nullptr);
    }
    if (err != CL_SUCCESS) return cl_status(err, "node '" + node_name + "': buffer copy");
  }
  return Status();
}

}  // namespace tandem::ocl
