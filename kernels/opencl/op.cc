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

OpFactory op_factory(OpType op) {
  switch (op) {
    case OpType::kConv:
      return make_conv2d_op;
    case OpType::kGemm:
    case OpType::kMatMul:
      return make_gemm_op;
    case OpType::kMaxPool:
    case OpType::kAveragePool:
      return make_pool2d_op;
    case OpType::kGlobalAveragePool:
    case OpType::kGlobalMaxPool:
    case OpType::kReduceMean:
      return make_global_pool_op;
    case OpType::kAdd:
    case OpType::kSub:
    case OpType::kMul:
    case OpType::kDiv:
      return make_elementwise_op;
    case OpType::kRelu:
    case OpType::kClip:
    case OpType::kSigmoid:
    case OpType::kHardSigmoid:
    case OpType::kHardSwish:
    case OpType::kTanh:
    case OpType::kLeakyRelu:
      return make_unary_op;
    case OpType::kBatchNormalization:
      return make_batchnorm_op;
    case OpType::kSoftmax:
      return make_softmax_op;
    case OpType::kTranspose:
      return make_transpose_op;
    case OpType::kPad:
      return make_pad_op;
    case OpType::kConcat:
      return make_concat_op;
    case OpType::kSplit:
      return make_split_op;
    default:
      return nullptr;  // Slice, ... : reference fallback; Reshape/Flatten/Identity alias
  }
}

}  // namespace tandem::ocl
