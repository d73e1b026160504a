#include "kernels/opencl/copy_rect.h"

namespace tandem::ocl {

Status CopyRectOp::add(OpContext& ctx, const RectCopy& c) {
  if (c.rows == 1 || (c.src_pitch == c.row_elems && c.dst_pitch == c.row_elems)) {
    RectCopy flat = c;
    flat.row_elems = c.rows * c.row_elems;
    flat.rows = 1;
    contiguous_.push_back(flat);
    return Status();
  }
  const int total = static_cast<int>(c.rows * c.row_elems);
  TANDEM_ASSIGN_OR_RETURN(Launch l,
                          make_launch(ctx, "copy", "copy_rows", {size_t(total), 1, 1}, 1));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(
      l.kernel.get(), node_name, c.src.mem, c.src.offset, static_cast<int>(c.src_pitch), c.dst.mem,
      c.dst.offset, static_cast<int>(c.dst_pitch), static_cast<int>(c.row_elems), total));
  strided_.push_back(std::move(l));
  return Status();
}

Status CopyRectOp::enqueue(cl_command_queue queue) {
  const size_t es = element_size;
  for (const RectCopy& c : contiguous_) {
    cl_int err =
        clEnqueueCopyBuffer(queue, c.src.mem, c.dst.mem, size_t(c.src.offset) * es,
                            size_t(c.dst.offset) * es, c.row_elems * es, 0, nullptr, nullptr);
    if (err != CL_SUCCESS) return cl_status(err, "node '" + node_name + "': buffer copy");
  }
  for (Launch& l : strided_) {
    cl_int err = clEnqueueNDRangeKernel(queue, l.kernel.get(), 1, nullptr, l.global.data(), nullptr,
                                        0, nullptr, nullptr);
    if (err != CL_SUCCESS) return cl_status(err, "node '" + node_name + "': strided copy");
  }
  return Status();
}

}  // namespace tandem::ocl
