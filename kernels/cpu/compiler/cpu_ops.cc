// Dispatch from op type to the cpu kernel files, and XNNPACK glue.
#include "kernels/cpu/compiler/cpu_kernel.h"

#include <cstdlib>

namespace tandem::cpu {

CpuOpSupport cpu_op_support(const Graph& g, const Node& n, const CpuKernelOptions& options) {
  switch (n.op) {
    case OpType::kConv:
      return conv2d_support(g, n, options);
    case OpType::kGemm:
    case OpType::kMatMul:
      return fully_connected_support(g, n);
    case OpType::kMaxPool:
    case OpType::kAveragePool:
    case OpType::kGlobalAveragePool:
    case OpType::kGlobalMaxPool:
    case OpType::kReduceMean:
      return pooling_support(g, n);
    case OpType::kAdd:
    case OpType::kSub:
    case OpType::kMul:
    case OpType::kDiv:
      return binary_elementwise_support(g, n);
    case OpType::kRelu:
    case OpType::kClip:
    case OpType::kSigmoid:
    case OpType::kHardSwish:
    case OpType::kLeakyRelu:
      return unary_elementwise_support(g, n);
    case OpType::kHardSigmoid:
    case OpType::kTanh:
      return unary_own_support(g, n);
    case OpType::kSoftmax:
      return softmax_support(g, n);
    case OpType::kPad:
      return pad_support(g, n);
    case OpType::kSlice:
      return slice_support(g, n);
    case OpType::kBatchNormalization:
      return batch_norm_support(g, n);
    case OpType::kConcat:
      return concat_support(g, n);
    case OpType::kReshape:
    case OpType::kFlatten:
    case OpType::kIdentity:
      return reshape_support(g, n);
    default:
      return {};
  }
}

namespace {
bool yield_workers() {
  static const bool yield = [] {
    const char* env = std::getenv("TANDEM_CPU_YIELD");
    return env && env[0] == '1';
  }();
  return yield;
}
}  // namespace

uint32_t cpu_pool_flags() {
  return yield_workers() ? PTHREADPOOL_FLAG_YIELD_WORKERS : 0;
}
uint32_t cpu_xnn_flags() {
  return yield_workers() ? XNN_FLAG_YIELD_WORKERS : 0;
}

Status xnn_error(enum xnn_status status, const char* what, const Node& n) {
  return internal_error("XNNPACK error " + std::to_string(static_cast<int>(status)) + " in " +
                        what + " of node '" + n.name + "' (" + std::string(op_name(n.op)) + ")");
}

Status XnnKernel::run(pthreadpool_t pool) {
  enum xnn_status st = xnn_run_operator(op_.get(), pool);
  if (st != xnn_status_success)
    return internal_error("XNNPACK error " + std::to_string(static_cast<int>(st)) +
                          " running node '" + name_ + "'");
  return Status();
}

}  // namespace tandem::cpu
