// HardSigmoid, Tanh, Erf and Sqrt, which XNNPACK 2022 lacks for f32 (Sqrt: as std::sqrt): own loops
// over the rows of a tensor (NHWC: N*H*W rows of C channels with the pixel strides), split over the
// thread pool. HardSigmoid is MobileNetV3's squeeze-excite gate, on [N, C, 1, 1] maps, where the
// reference fallback's layout round trip cost ~46 us a node; here it is one pass.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/ops/elementwise_rows.h"

namespace tandem::cpu {
namespace {

class UnaryOwnKernel : public CpuKernel {
 public:
  explicit UnaryOwnKernel(const KernelArgs& a) {
    const Node& n = *a.node;
    const CpuTensor& x = a.inputs[0];
    const CpuTensor& y = a.outputs[0];
    op_ = n.op;
    alpha_ = n.attrs.alpha;
    beta_ = n.attrs.beta;
    x_ = x.data;
    y_ = y.data;
    rows_ = ElementwiseRows::of(x, y);
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this, rows_.tasks(), cpu_pool_flags());
    return Status();
  }

 private:
  static void task(void* ctx, size_t index) {
    const auto* k = static_cast<const UnaryOwnKernel*>(ctx);
    const ElementwiseRows& w = k->rows_;
    for (int64_t r = w.first_row(index); r < w.end_row(index); ++r) {
      const float* __restrict x = k->x_ + r * w.in_stride;
      float* __restrict y = k->y_ + r * w.out_stride;
      const int64_t n = w.row_length(r);
      if (k->op_ == OpType::kHardSigmoid) {
        const float alpha = k->alpha_, beta = k->beta_;
        for (int64_t c = 0; c < n; ++c) y[c] = std::min(std::max(alpha * x[c] + beta, 0.0f), 1.0f);
      } else if (k->op_ == OpType::kErf) {
        // std::erf as in the reference kernel, so the two agree bit for bit.
        for (int64_t c = 0; c < n; ++c) y[c] = std::erf(x[c]);
      } else if (k->op_ == OpType::kSqrt) {
        for (int64_t c = 0; c < n; ++c) y[c] = std::sqrt(x[c]);
      } else {
        for (int64_t c = 0; c < n; ++c) y[c] = std::tanh(x[c]);
      }
    }
  }

  OpType op_ = OpType::kTanh;
  float alpha_ = 0, beta_ = 0;
  const float* x_ = nullptr;
  float* y_ = nullptr;
  ElementwiseRows rows_;
};

Expected<KernelPtr> make_unary_own(const KernelArgs& a) {
  return KernelPtr(new UnaryOwnKernel(a));
}

}  // namespace

CpuOpSupport unary_own_support(const Graph& g, const Node& n) {
  if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1) return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  if (x.is_constant() || x.dtype != DType::kFloat32 || shape_elements(x.shape) <= 0) return {};
  return strided_kernel(make_unary_own);
}

}  // namespace tandem::cpu
