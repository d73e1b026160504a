// The aarch64 int8 GEMM on SDOT (kernels/cpu/neon/qgemm_s8_neon.cc) as a cpu kernel for
// 1x1 stride-1 unpadded QConvs and QGemm, at spec neon=on (auto: not yet, no ARM
// timing: docs/neon.md). Off aarch64, or on a core without SDOT, the same packed
// operands run on the portable scalar twin, so the wiring is tested on every build.
#include <algorithm>
#include <vector>

#include "graph/quant_math.h"
#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/neon/neon_kernels.h"

namespace tandem::cpu {
namespace {

constexpr int kTaskRows = 128;  // rows of A per task

// C[rows, m] = requantize(A[rows, k] W^T): A the input's pixels (or QGemm's rows).
class NeonQGemmKernel final : public CpuKernel {
 public:
  explicit NeonQGemmKernel(const KernelArgs& a) {
    const Graph& g = *a.g;
    const Node& n = *a.node;
    const CpuTensor& x = a.inputs[0];
    const bool gemm = n.op == OpType::kQGemm;
    rows_ = int(gemm ? x.shape[0] : x.n() * x.h() * x.w());
    k_ = int(a.inputs[1].shape[1]);
    m_ = int(a.inputs[1].shape[0]);
    a_ = x.i8(), c_ = a.outputs[0].i8();
    lda_ = gemm ? k_ : int(x.pixel_stride);
    ldc_ = gemm ? m_ : int(a.outputs[0].pixel_stride);
    const Quantization& qx = g.tensor(n.inputs[0]).quant;
    const Quantization& qy = g.tensor(n.outputs[0]).quant;
    const int np = (m_ + neon::kQGemmNr - 1) / neon::kQGemmNr * neon::kQGemmNr;
    packed_.resize(neon::qgemm_s8_packed_size(m_, k_));
    bias_.resize(size_t(np));
    mult_.assign(size_t(np), 0.0f);
    const bool has_bias = a.inputs.size() > 2 && a.inputs[2].data;
    neon::qgemm_s8_pack(m_, k_, a.inputs[1].i8(),
                        has_bias ? reinterpret_cast<const int32_t*>(a.inputs[2].data) : nullptr,
                        qx.zero_point[0], packed_.data(), bias_.data());
    for (int o = 0; o < m_; ++o)
      mult_[size_t(o)] = qmath::conv_multiplier(qx, g.tensor(n.inputs[1]).quant, size_t(o), qy);
    e_.bias = bias_.data(), e_.multiplier = mult_.data();
    e_.zy = qy.zero_point[0], e_.lo = int(n.attrs.qmin), e_.hi = int(n.attrs.qmax);
    consumed_constants.push_back(n.inputs[1]);
    if (has_bias) consumed_constants.push_back(n.inputs[2]);
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this, size_t((rows_ + kTaskRows - 1) / kTaskRows),
                               cpu_pool_flags());
    return Status();
  }
  const char* kind() const override { return native() ? "qgemm_neon" : "qgemm_neon_scalar"; }

 private:
  static bool native() { return neon::qgemm_s8_neon_available(); }
  static void task(void* ctx, size_t block) {
    const auto* k = static_cast<const NeonQGemmKernel*>(ctx);
    const int r0 = int(block) * kTaskRows, rows = std::min(kTaskRows, k->rows_ - r0);
    const int8_t* a = k->a_ + size_t(r0) * size_t(k->lda_);
    int8_t* c = k->c_ + size_t(r0) * size_t(k->ldc_);
#if defined(__aarch64__)
    if (native())
      return neon::qgemm_s8_neon(rows, k->m_, k->k_, a, k->lda_, k->packed_.data(), c, k->ldc_,
                                 k->e_);
#endif
    neon::qgemm_s8_scalar(rows, k->m_, k->k_, a, k->lda_, k->packed_.data(), c, k->ldc_, k->e_);
  }

  int rows_ = 0, k_ = 0, m_ = 0, lda_ = 0, ldc_ = 0;
  const int8_t* a_ = nullptr;
  int8_t* c_ = nullptr;
  std::vector<int8_t> packed_;
  std::vector<int32_t> bias_;
  std::vector<float> mult_;
  neon::QGemmS8Epilogue e_;
};

Expected<KernelPtr> make_neon_qgemm(const KernelArgs& a) {
  return KernelPtr(new NeonQGemmKernel(a));
}

bool is_1x1_direct(const Node& n, const Shape& w) {
  const NodeAttrs& at = n.attrs;
  if (at.group != 1 || w.size() != 4 || w[2] != 1 || w[3] != 1) return false;
  for (int64_t s : at.strides)
    if (s != 1) return false;
  for (int64_t p : at.pads)
    if (p != 0) return false;
  return true;
}

}  // namespace

CpuOpSupport qconv_neon_support(const Graph& g, const Node& n, const CpuKernelOptions& options) {
  if (options.neon != CpuKernelOptions::Neon::kOn) return {};  // auto: not yet (no ARM timing)
  if (n.inputs.size() < 2) return {};
  const Shape& w = g.tensor(n.inputs[1]).shape;
  const Quantization& qw = g.tensor(n.inputs[1]).quant;
  for (int32_t z : qw.zero_point)
    if (z != 0) return {};  // symmetric weights only, as the other own GEMMs
  if (n.op == OpType::kQGemm) return contiguous_kernel(make_neon_qgemm);
  if (n.op == OpType::kQConv && is_1x1_direct(n, w))
    return strided_kernel(make_neon_qgemm);  // A and C rows at the tensors' pixel strides
  return {};
}

}  // namespace tandem::cpu
