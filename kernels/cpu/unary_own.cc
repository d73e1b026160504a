// HardSigmoid and Tanh, which XNNPACK 2022 lacks for f32: own loops over the
// rows of a tensor (NHWC: N*H*W rows of C channels with the pixel strides),
// split over the thread pool. HardSigmoid is MobileNetV3's squeeze-excite gate,
// on [N, C, 1, 1] maps, where the reference fallback's layout round trip cost
// ~46 us a node; here it is one pass.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/cpu_kernel.h"

namespace tandem::cpu {
namespace {

constexpr int64_t kRowsPerTask = 64;

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
    if (x.nhwc) {
      rows_ = x.n() * x.h() * x.w();
      channels_ = x.c();
      in_stride_ = x.pixel_stride;
      out_stride_ = y.pixel_stride;
    } else {  // contiguous: one row
      rows_ = 1;
      channels_ = in_stride_ = out_stride_ = x.elements();
    }
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this, size_t((rows_ + kRowsPerTask - 1) / kRowsPerTask),
                               cpu_pool_flags());
    return Status();
  }

 private:
  static void task(void* ctx, size_t index) {
    const auto* k = static_cast<const UnaryOwnKernel*>(ctx);
    const int64_t r0 = int64_t(index) * kRowsPerTask;
    const int64_t r1 = std::min(k->rows_, r0 + kRowsPerTask);
    for (int64_t r = r0; r < r1; ++r) {
      const float* __restrict x = k->x_ + r * k->in_stride_;
      float* __restrict y = k->y_ + r * k->out_stride_;
      if (k->op_ == OpType::kHardSigmoid) {
        const float alpha = k->alpha_, beta = k->beta_;
        for (int64_t c = 0; c < k->channels_; ++c)
          y[c] = std::min(std::max(alpha * x[c] + beta, 0.0f), 1.0f);
      } else {
        for (int64_t c = 0; c < k->channels_; ++c) y[c] = std::tanh(x[c]);
      }
    }
  }

  OpType op_ = OpType::kTanh;
  float alpha_ = 0, beta_ = 0;
  const float* x_ = nullptr;
  float* y_ = nullptr;
  int64_t rows_ = 0, channels_ = 0, in_stride_ = 0, out_stride_ = 0;
};

Expected<KernelPtr> make_unary_own(const KernelArgs& a) {
  return KernelPtr(new UnaryOwnKernel(a));
}

}  // namespace

CpuOpSupport unary_own_support(const Graph& g, const Node& n) {
  if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1) return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  if (x.is_constant() || x.dtype != DType::kFloat32 || shape_elements(x.shape) <= 0) return {};
  return {make_unary_own, true, true};
}

}  // namespace tandem::cpu
