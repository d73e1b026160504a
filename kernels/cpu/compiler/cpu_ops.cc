// The cpu processor's op table (op type -> its kernel file's support
// function), and XNNPACK glue.
#include "kernels/cpu/compiler/cpu_kernel.h"

#include <cstdlib>

namespace tandem::cpu {

namespace {

using Support = CpuOpSupport (*)(const Graph& g, const Node& n, const CpuKernelOptions& options);

// Adapts the support functions that need no kernel options.
template <CpuOpSupport (*F)(const Graph&, const Node&)>
CpuOpSupport no_options(const Graph& g, const Node& n, const CpuKernelOptions&) {
  return F(g, n);
}

// The ops with a native cpu kernel, each pointing at its kernel file's support
// function (kernels/cpu/ops/); an op without a row runs on the reference fallback.
struct CpuOpRow {
  OpType op;
  Support support;
};
const CpuOpRow kCpuOps[] = {
    {OpType::kConv, conv2d_support},
    {OpType::kGemm, gemm_node_support},
    {OpType::kMatMul, matmul_support},
    {OpType::kMaxPool, no_options<pooling_support>},
    {OpType::kAveragePool, no_options<pooling_support>},
    {OpType::kGlobalAveragePool, no_options<pooling_support>},
    {OpType::kGlobalMaxPool, no_options<pooling_support>},
    {OpType::kReduceMean, no_options<pooling_support>},
    {OpType::kAdd, no_options<binary_elementwise_support>},
    {OpType::kSub, no_options<binary_elementwise_support>},
    {OpType::kMul, no_options<binary_elementwise_support>},
    {OpType::kDiv, no_options<binary_elementwise_support>},
    {OpType::kRelu, no_options<unary_elementwise_support>},
    {OpType::kClip, no_options<unary_elementwise_support>},
    {OpType::kSigmoid, no_options<unary_elementwise_support>},
    {OpType::kHardSwish, no_options<unary_elementwise_support>},
    {OpType::kLeakyRelu, no_options<unary_elementwise_support>},
    {OpType::kHardSigmoid, no_options<unary_own_support>},
    {OpType::kTanh, no_options<unary_own_support>},
    {OpType::kErf, no_options<unary_own_support>},
    {OpType::kSqrt, no_options<unary_own_support>},
    {OpType::kGelu, no_options<gelu_support>},
    {OpType::kPow, no_options<pow_support>},
    {OpType::kLayerNormalization, no_options<layer_norm_support>},
    {OpType::kSoftmax, no_options<softmax_support>},
    {OpType::kPad, no_options<pad_support>},
    {OpType::kSlice, no_options<slice_support>},
    {OpType::kSplit, no_options<split_support>},
    {OpType::kTranspose, no_options<transpose_support>},
    {OpType::kResize, no_options<resize_support>},
    {OpType::kBatchNormalization, no_options<batch_norm_support>},
    {OpType::kConcat, no_options<concat_support>},
    {OpType::kReshape, no_options<reshape_support>},
    {OpType::kFlatten, no_options<reshape_support>},
    {OpType::kIdentity, no_options<reshape_support>},
    {OpType::kGather, no_options<gather_support>},
    {OpType::kQConv, qconv_support},
    {OpType::kQGemm, qconv_support},
    {OpType::kQuantizeLinear, no_options<qelementwise_support>},
    {OpType::kDequantizeLinear, no_options<qelementwise_support>},
    {OpType::kQAdd, no_options<qelementwise_support>},
    {OpType::kQMaxPool, no_options<qpool_support>},
    {OpType::kQGlobalAveragePool, no_options<qpool_support>},
    {OpType::kQConcat, no_options<qpool_support>},
};

}  // namespace

CpuOpSupport cpu_op_support(const Graph& g, const Node& n, const CpuKernelOptions& options) {
  for (const CpuOpRow& row : kCpuOps)
    if (row.op == n.op) return row.support(g, n, options);
  return {};
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
