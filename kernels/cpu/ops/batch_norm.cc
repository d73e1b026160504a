// BatchNormalization that no pass could fold (DenseNet's norm after a concat):
// a per-channel scale and shift over NHWC pixels, strided on both sides.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {
namespace {

constexpr int64_t kPixelsPerTask = 64;

class BatchNormKernel : public CpuKernel {
 public:
  explicit BatchNormKernel(const KernelArgs& a) {
    const Node& n = *a.node;
    const CpuTensor& x = a.inputs[0];
    const CpuTensor& y = a.outputs[0];
    channels_ = x.shape[1];
    pixels_ = x.elements() / channels_;
    in_stride_ = x.nhwc ? x.pixel_stride : channels_;
    out_stride_ = y.nhwc ? y.pixel_stride : channels_;
    lo_ = a.activation.min;
    hi_ = a.activation.max;
    in_ = x.data;
    out_ = y.data;
    scale_.resize(size_t(channels_));
    shift_.resize(size_t(channels_));
    const float* gamma = a.inputs[1].data;
    const float* beta = a.inputs[2].data;
    const float* mean = a.inputs[3].data;
    const float* var = a.inputs[4].data;
    for (int64_t c = 0; c < channels_; ++c) {
      float s = gamma[c] / std::sqrt(var[c] + n.attrs.epsilon);
      scale_[size_t(c)] = s;
      shift_[size_t(c)] = beta[c] - mean[c] * s;
    }
    for (size_t i = 1; i < 5; ++i) consumed_constants.push_back(n.inputs[i]);
  }

  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this,
                               size_t((pixels_ + kPixelsPerTask - 1) / kPixelsPerTask),
                               cpu_pool_flags());
    return Status();
  }

 private:
  static void task(void* ctx, size_t index) {
    const auto* k = static_cast<const BatchNormKernel*>(ctx);
    int64_t p0 = int64_t(index) * kPixelsPerTask;
    int64_t p1 = std::min(p0 + kPixelsPerTask, k->pixels_);
    const float* __restrict scale = k->scale_.data();
    const float* __restrict shift = k->shift_.data();
    for (int64_t p = p0; p < p1; ++p) {
      const float* __restrict x = k->in_ + p * k->in_stride_;
      float* __restrict y = k->out_ + p * k->out_stride_;
      for (int64_t c = 0; c < k->channels_; ++c)
        y[c] = std::min(std::max(x[c] * scale[c] + shift[c], k->lo_), k->hi_);
    }
  }

  float lo_ = 0, hi_ = 0;
  int64_t channels_ = 0, pixels_ = 0, in_stride_ = 0, out_stride_ = 0;
  const float* in_ = nullptr;
  float* out_ = nullptr;
  std::vector<float> scale_, shift_;
};

Expected<KernelPtr> make_batch_norm(const KernelArgs& a) {
  return KernelPtr(new BatchNormKernel(a));
}

}  // namespace

CpuOpSupport batch_norm_support(const Graph& g, const Node& n) {
  if (n.inputs.size() != 5 || n.outputs.empty() || n.inputs[0] < 0) return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  if (x.is_constant() || (x.shape.size() != 4 && x.shape.size() != 2)) return {};
  for (size_t i = 1; i < 5; ++i) {
    if (n.inputs[i] < 0 || !g.tensor(n.inputs[i]).is_constant()) return {};
    if (shape_elements(g.tensor(n.inputs[i]).shape) != x.shape[1]) return {};
  }
  if (n.outputs.size() != 1) return {};  // training-mode outputs: reference only
  return strided_kernel(make_batch_norm);
}

}  // namespace tandem::cpu
