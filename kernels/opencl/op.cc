#include "kernels/opencl/op.h"

namespace tandem::ocl {

Status LaunchOp::enqueue(cl_command_queue queue) {
  for (Launch& l : launches) {
    const bool has_local = l.local[0] != 0;
    cl_int err = clEnqueueNDRangeKernel(queue, l.kernel.get(), l.dims, nullptr, l.global.data(),
                                        has_local ? l.local.data() : nullptr, 0, nullptr, nullptr);
    if (err != CL_SUCCESS)
      return cl_status(err, "node '" + node_name + "': clEnqueueNDRangeKernel");
  }
  return Status();
}

const Shape& shape_of(const OpContext& ctx, int tensor) {
  return ctx.graph().tensor(tensor).shape;
}

int dim(const Shape& s, size_t i) {
  return i < s.size() ? static_cast<int>(s[i]) : 1;
}

Expected<Launch> make_launch(OpContext& ctx, const std::string& program, const std::string& name,
                             std::array<size_t, 3> global, cl_uint dims,
                             std::array<size_t, 3> local) {
  Launch l;
  TANDEM_ASSIGN_OR_RETURN(l.kernel, ctx.kernel(program, name));
  l.dims = dims;
  l.local = local;
  for (cl_uint d = 0; d < 3; ++d) {
    size_t g = std::max<size_t>(global[d], 1);
    if (local[0] != 0 && local[d] > 0) g = (g + local[d] - 1) / local[d] * local[d];
    l.global[d] = g;
  }
  return l;
}

namespace {

// The ops with an OpenCL kernel, each pointing at its op file's factory. Ops
// without a row (Slice, ...) run on the reference fallback; Reshape, Flatten
// and Identity alias their input (opencl_processor.cc).
struct OclOpRow {
  OpType op;
  OpFactory factory;
};
const OclOpRow kOclOps[] = {
    {OpType::kConv, make_conv2d_op},
    {OpType::kGemm, make_gemm_op},
    {OpType::kMatMul, make_gemm_op},
    {OpType::kMaxPool, make_pool2d_op},
    {OpType::kAveragePool, make_pool2d_op},
    {OpType::kGlobalAveragePool, make_global_pool_op},
    {OpType::kGlobalMaxPool, make_global_pool_op},
    {OpType::kReduceMean, make_global_pool_op},
    {OpType::kAdd, make_elementwise_op},
    {OpType::kSub, make_elementwise_op},
    {OpType::kMul, make_elementwise_op},
    {OpType::kDiv, make_elementwise_op},
    {OpType::kPow, make_elementwise_op},
    {OpType::kRelu, make_unary_op},
    {OpType::kClip, make_unary_op},
    {OpType::kSigmoid, make_unary_op},
    {OpType::kHardSigmoid, make_unary_op},
    {OpType::kHardSwish, make_unary_op},
    {OpType::kTanh, make_unary_op},
    {OpType::kLeakyRelu, make_unary_op},
    {OpType::kErf, make_unary_op},
    {OpType::kSqrt, make_unary_op},
    {OpType::kGelu, make_unary_op},
    {OpType::kLayerNormalization, make_layer_norm_op},
    {OpType::kBatchNormalization, make_batchnorm_op},
    {OpType::kSoftmax, make_softmax_op},
    {OpType::kTranspose, make_transpose_op},
    {OpType::kPad, make_pad_op},
    {OpType::kConcat, make_concat_op},
    {OpType::kSplit, make_split_op},
    {OpType::kResize, make_resize_op},
    {OpType::kGather, make_gather_op},
};

}  // namespace

OpFactory op_factory(OpType op) {
  for (const OclOpRow& row : kOclOps)
    if (row.op == op) return row.factory;
  return nullptr;
}

}  // namespace tandem::ocl
