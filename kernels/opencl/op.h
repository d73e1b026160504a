// What an OpenCL op sees at compile time (OpContext) and does at run time (Op).
// Buffers are fixed when ops are created, so kernel arguments are set once and
// running a range only enqueues launches.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "kernels/opencl/cl_error.h"
#include "kernels/opencl/device.h"

namespace tandem::ocl {

// Where a tensor lives on the device: a buffer and an element offset into it.
struct DeviceTensor {
  cl_mem mem = nullptr;
  int offset = 0;
};

class OpContext {
 public:
  virtual ~OpContext() = default;
  virtual const Graph& graph() const = 0;
  virtual const DeviceContext& device() const = 0;
  // A fresh kernel object (own argument slots) from kernels/opencl/cl/<program>.cl.
  virtual Expected<KernelHandle> kernel(const std::string& program, const std::string& name) = 0;
  // Activation tensors at their planned place; constants uploaded once on first request.
  virtual Expected<DeviceTensor> tensor(int id) = 0;
  // Uploads weights derived on the host (folded BatchNorm, ...); lives as long as the range.
  virtual Expected<DeviceTensor> upload(const std::string& name,
                                        const std::vector<float>& values) = 0;
  // Uploads 32-bit integers (index tables) as they are, also under opencl:fp16.
  virtual Expected<DeviceTensor> upload_ints(const std::string& name,
                                             const std::vector<int32_t>& values) = 0;
  // "own" (register-blocked OpenCL GEMM), "tiled" (local-memory tiles) or "clblast".
  virtual const std::string& gemm_backend() const = 0;
  // Bytes per stored element: 4, or 2 under opencl:fp16.
  size_t element_size() const { return device().fp16 ? 2 : 4; }
};

class Op {
 public:
  virtual ~Op() = default;
  virtual Status enqueue(cl_command_queue queue) = 0;
};

// One kernel launch with its arguments already set.
struct Launch {
  KernelHandle kernel;
  cl_uint dims = 1;
  std::array<size_t, 3> global{1, 1, 1};
  std::array<size_t, 3> local{0, 0, 0};  // all zero: the driver picks
};

// The common op: a fixed list of launches.
class LaunchOp : public Op {
 public:
  std::vector<Launch> launches;
  std::string node_name;
  Status enqueue(cl_command_queue queue) override;
};

// Creates the op for node `n`; a null pointer means "no OpenCL kernel for this
// configuration", and the executable runs the node on the reference kernel.
using OpFactory = Expected<std::unique_ptr<Op>> (*)(OpContext& ctx, const Node& n);
OpFactory op_factory(OpType op);

// Sets kernel arguments in order: cl_mem, int, float.
// Notes arguments naming a boundary proxy buffer (kernels/opencl/handover.h).
void note_mem_arg(cl_kernel k, cl_uint index, cl_mem v);
inline cl_int set_arg(cl_kernel k, cl_uint i, cl_mem v) {
  note_mem_arg(k, i, v);
  return clSetKernelArg(k, i, sizeof v, &v);
}
inline cl_int set_arg(cl_kernel k, cl_uint i, int v) {
  cl_int x = v;
  return clSetKernelArg(k, i, sizeof x, &x);
}
inline cl_int set_arg(cl_kernel k, cl_uint i, float v) {
  return clSetKernelArg(k, i, sizeof v, &v);
}
template <typename... Args>
Status set_kernel_args(cl_kernel k, const std::string& node, Args... args) {
  cl_uint i = 0;
  cl_int err = CL_SUCCESS;
  ((err = err != CL_SUCCESS ? err : set_arg(k, i++, args)), ...);
  return cl_status(err, "node '" + node + "': clSetKernelArg " + std::to_string(i - 1));
}

// Helpers shared by op files.
const Shape& shape_of(const OpContext& ctx, int tensor);
int dim(const Shape& s, size_t i);  // 1 past the rank
// Builds a launch of kernel `name` over `global` (rounded up to `local` when given).
Expected<Launch> make_launch(OpContext& ctx, const std::string& program, const std::string& name,
                             std::array<size_t, 3> global, cl_uint dims,
                             std::array<size_t, 3> local = {0, 0, 0});

// Each op file's factory.
Expected<std::unique_ptr<Op>> make_conv2d_op(OpContext& ctx, const Node& n);
Expected<std::unique_ptr<Op>> make_gemm_op(OpContext& ctx, const Node& n);
Expected<std::unique_ptr<Op>> make_pool2d_op(OpContext& ctx, const Node& n);
Expected<std::unique_ptr<Op>> make_global_pool_op(OpContext& ctx, const Node& n);
Expected<std::unique_ptr<Op>> make_elementwise_op(OpContext& ctx, const Node& n);
Expected<std::unique_ptr<Op>> make_unary_op(OpContext& ctx, const Node& n);
Expected<std::unique_ptr<Op>> make_batchnorm_op(OpContext& ctx, const Node& n);
Expected<std::unique_ptr<Op>> make_softmax_op(OpContext& ctx, const Node& n);
Expected<std::unique_ptr<Op>> make_transpose_op(OpContext& ctx, const Node& n);
Expected<std::unique_ptr<Op>> make_pad_op(OpContext& ctx, const Node& n);
Expected<std::unique_ptr<Op>> make_concat_op(OpContext& ctx, const Node& n);
Expected<std::unique_ptr<Op>> make_split_op(OpContext& ctx, const Node& n);
Expected<std::unique_ptr<Op>> make_resize_op(OpContext& ctx, const Node& n);
Expected<std::unique_ptr<Op>> make_layer_norm_op(OpContext& ctx, const Node& n);
Expected<std::unique_ptr<Op>> make_gather_op(OpContext& ctx, const Node& n);

}  // namespace tandem::ocl
