// LayerNormalization on rows of contiguous floats: the channels of an NHWC
// activation (axes {1} of a 4-D tensor, pixel strides allowed: ConvNeXt's
// LayerNorm once channels_first has rewritten its islands) or the last axes of
// a tensor kept in logical layout (a transformer's [N, L, C]). Each row: mean,
// mean of squared deviations (two passes, as the exported decomposition), then
// scale and shift. Rows split over the thread pool. At isa avx512 / avx2 the
// rows are the own SIMD ones (x86/norm_rows.h; kinds "layer_norm",
// "layer_norm_avx2"), otherwise a portable loop ("layer_norm_scalar").
#include <algorithm>
#include <cmath>

#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/x86/norm_rows.h"

namespace tandem::cpu {
namespace {

using RowFn = void (*)(const float*, float*, int64_t, const float*, const float*, float);

void layer_norm_row_scalar(const float* x, float* y, int64_t c, const float* scale,
                           const float* bias, float eps) {
  float sum = 0.0f;
  for (int64_t i = 0; i < c; ++i) sum += x[i];
  const float mean = sum / float(c);
  float sq = 0.0f;
  for (int64_t i = 0; i < c; ++i) sq += (x[i] - mean) * (x[i] - mean);
  const float r = 1.0f / std::sqrt(sq / float(c) + eps);
  for (int64_t i = 0; i < c; ++i) y[i] = (x[i] - mean) * r * scale[i] + (bias ? bias[i] : 0.0f);
}

class LayerNormKernel : public CpuKernel {
 public:
  explicit LayerNormKernel(const KernelArgs& a) {
    const CpuTensor& x = a.inputs[0];
    const CpuTensor& y = a.outputs[0];
    x_ = x.data;
    y_ = y.data;
    scale_ = a.inputs[1].data;
    bias_ = a.inputs.size() > 2 ? a.inputs[2].data : nullptr;
    eps_ = a.node->attrs.epsilon;
    if (x.nhwc) {
      length_ = x.c();
      rows_ = x.n() * x.h() * x.w();
      in_stride_ = x.pixel_stride;
      out_stride_ = y.pixel_stride;
    } else {
      length_ = 1;
      for (int64_t ax : a.node->attrs.axes) length_ *= x.shape[size_t(ax)];
      rows_ = x.elements() / length_;
      in_stride_ = out_stride_ = length_;
    }
    per_task_ = std::max<int64_t>(1, 4096 / length_);
    isa_ = a.options.isa;
#if defined(__x86_64__)
    if (isa_ == CpuIsa::kAvx512) row_ = avx512::layer_norm_row;
    if (isa_ == CpuIsa::kAvx2) row_ = avx2::layer_norm_row;
#else
    isa_ = CpuIsa::kGeneric;
#endif
  }
  Status run(pthreadpool_t pool) override {
    const size_t tasks = size_t((rows_ + per_task_ - 1) / per_task_);
    pthreadpool_parallelize_1d(pool, task, this, tasks, cpu_pool_flags());
    return Status();
  }
  const char* kind() const override {
    return isa_ == CpuIsa::kAvx512 ? "layer_norm"
           : isa_ == CpuIsa::kAvx2 ? "layer_norm_avx2"
                                   : "layer_norm_scalar";
  }

 private:
  static void task(void* ctx, size_t index) {
    const auto* k = static_cast<const LayerNormKernel*>(ctx);
    const int64_t first = int64_t(index) * k->per_task_;
    const int64_t end = std::min(k->rows_, first + k->per_task_);
    for (int64_t r = first; r < end; ++r)
      k->row_(k->x_ + r * k->in_stride_, k->y_ + r * k->out_stride_, k->length_, k->scale_,
              k->bias_, k->eps_);
  }

  RowFn row_ = layer_norm_row_scalar;
  CpuIsa isa_ = CpuIsa::kGeneric;
  const float* x_ = nullptr;
  float* y_ = nullptr;
  const float* scale_ = nullptr;
  const float* bias_ = nullptr;
  float eps_ = 0;
  int64_t length_ = 1, rows_ = 0, in_stride_ = 0, out_stride_ = 0, per_task_ = 1;
};

bool trailing_axes(size_t rank, const std::vector<int64_t>& axes) {
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != int64_t(rank - axes.size() + i)) return false;
  return !axes.empty();
}

Expected<KernelPtr> make_layer_norm(const KernelArgs& a) {
  // NHWC: over the channels only; logical: over trailing axes.
  const CpuTensor& x = a.inputs[0];
  const std::vector<int64_t>& axes = a.node->attrs.axes;
  const bool ok = x.nhwc ? axes == std::vector<int64_t>{1} : trailing_axes(x.shape.size(), axes);
  if (!ok || x.nhwc != a.outputs[0].nhwc)
    return unsupported("layer norm '" + a.node->name + "': axes are not the stored rows");
  return KernelPtr(new LayerNormKernel(a));
}

// The normalised axes are the innermost stored ones: channels of a 4-D (NHWC)
// tensor, or a suffix of the logical axes of any other rank.
bool rows_are_innermost(const Shape& x, const std::vector<int64_t>& axes) {
  if (axes.empty()) return false;
  // 4-D: the channels of an NHWC image, or trailing axes of a logical tensor
  // (image_layout.h); make_layer_norm refuses the other pairing.
  if (x.size() == 4 && axes == std::vector<int64_t>{1}) return true;
  return axes.back() == int64_t(x.size()) - 1;
}

}  // namespace

CpuOpSupport layer_norm_support(const Graph& g, const Node& n) {
  if (n.inputs.size() < 2 || n.inputs[0] < 0 || n.inputs[1] < 0 || n.outputs.size() != 1) return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  if (x.is_constant() || x.dtype != DType::kFloat32 || shape_elements(x.shape) <= 0) return {};
  if (!rows_are_innermost(x.shape, n.attrs.axes)) return {};
  for (size_t i = 1; i < n.inputs.size(); ++i)
    if (n.inputs[i] >= 0 && !g.tensor(n.inputs[i]).is_constant()) return {};
  return strided_kernel(make_layer_norm);
}

}  // namespace tandem::cpu
