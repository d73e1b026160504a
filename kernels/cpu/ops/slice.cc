// Slice of a 4-D NHWC activation with positive steps and unit channel step
// (ShuffleNet's channel split, spatial crops): each output pixel is one run of
// channels copied from its input pixel, rows split over the thread pool. Tensors
// of other ranks are in logical layout: one task per output row (ViT's q, k, v
// thirds of [197, 1, 2304]). Other slices run on the reference fallback.
#include <cstring>

#include "graph/shape_util.h"
#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {
namespace {

class SliceKernel : public CpuKernel {
 public:
  SliceKernel(const KernelArgs& a, const std::vector<SliceDim>& d)
      : x_(a.inputs[0]), y_(a.outputs[0]) {
    for (int i = 0; i < 4; ++i) start_[i] = d[size_t(i)].start, step_[i] = d[size_t(i)].step;
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, row_task, this, size_t(y_.n() * y_.h()), cpu_pool_flags());
    return Status();
  }
  const char* kind() const override { return "own"; }

 private:
  // Output row `index` (image-major).
  static void row_task(void* ctx, size_t index) {
    const auto* k = static_cast<const SliceKernel*>(ctx);
    const CpuTensor &x = k->x_, &y = k->y_;
    const int64_t img = int64_t(index) / y.h(), oy = int64_t(index) % y.h();
    const int64_t ix_img = k->start_[0] + img * k->step_[0];
    const int64_t iy = k->start_[2] + oy * k->step_[2];
    const float* src =
        x.data + ((ix_img * x.h() + iy) * x.w() + k->start_[3]) * x.pixel_stride + k->start_[1];
    float* dst = y.data + int64_t(index) * y.w() * y.pixel_stride;
    const int64_t src_step = k->step_[3] * x.pixel_stride;
    const size_t bytes = sizeof(float) * size_t(y.c());
    for (int64_t ox = 0; ox < y.w(); ++ox, src += src_step, dst += y.pixel_stride)
      std::memcpy(dst, src, bytes);
  }

  CpuTensor x_, y_;
  int64_t start_[4] = {}, step_[4] = {};
};

bool nhwc_slice(const Graph& g, const Node& n, std::vector<SliceDim>* dims) {
  const Tensor& x = g.tensor(n.inputs[0]);
  if (x.shape.size() != 4 || x.dtype != DType::kFloat32 || x.is_constant()) return false;
  if (!slice_dims(n.attrs, x.shape, n.name, dims).ok()) return false;
  for (const SliceDim& d : *dims)
    if (d.step <= 0 || d.count <= 0) return false;
  return (*dims)[1].step == 1;
}

// Row-major tensors of rank != 4, any steps: output row `index` reads its input row
// through the per-dim starts and steps.
class RowSliceKernel : public CpuKernel {
 public:
  RowSliceKernel(const KernelArgs& a, const std::vector<SliceDim>& d)
      : x_(a.inputs[0].data), y_(a.outputs[0].data), dims_(d) {
    const Shape& xs = a.inputs[0].shape;
    stride_.assign(xs.size(), 1);
    for (size_t i = xs.size(); i-- > 1;) stride_[i - 1] = stride_[i] * xs[i];
    for (size_t i = 0; i + 1 < d.size(); ++i) rows_ *= d[i].count;
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, row_task, this, size_t(rows_), cpu_pool_flags());
    return Status();
  }

 private:
  static void row_task(void* ctx, size_t index) {
    const auto* k = static_cast<const RowSliceKernel*>(ctx);
    const size_t r = k->dims_.size();
    int64_t rest = int64_t(index), src = 0;
    for (size_t j = r - 1; j-- > 0;) {
      const SliceDim& d = k->dims_[j];
      src += (d.start + (rest % d.count) * d.step) * k->stride_[j];
      rest /= d.count;
    }
    const SliceDim& last = k->dims_[r - 1];
    const float* x = k->x_ + src + last.start * k->stride_[r - 1];
    float* y = k->y_ + int64_t(index) * last.count;
    if (last.step == 1) {
      std::memcpy(y, x, sizeof(float) * size_t(last.count));
      return;
    }
    for (int64_t i = 0; i < last.count; ++i) y[i] = x[i * last.step];
  }

  const float* x_;
  float* y_;
  std::vector<SliceDim> dims_;
  std::vector<int64_t> stride_;
  int64_t rows_ = 1;
};

bool row_slice(const Graph& g, const Node& n, std::vector<SliceDim>* dims) {
  const Tensor& x = g.tensor(n.inputs[0]);
  // 4-D: logical tensors only (image_layout.h); make_row_slice refuses NHWC ones.
  if (x.shape.empty() || x.dtype != DType::kFloat32 || x.is_constant()) return false;
  if (!slice_dims(n.attrs, x.shape, n.name, dims).ok()) return false;
  for (const SliceDim& d : *dims)
    if (d.count <= 0) return false;
  return true;
}

Expected<KernelPtr> make_row_slice(const KernelArgs& a) {
  if (a.inputs[0].nhwc || a.outputs[0].nhwc)
    return unsupported("slice '" + a.node->name + "': an NHWC tensor is not row-major");
  std::vector<SliceDim> dims;
  if (!row_slice(*a.g, *a.node, &dims))
    return internal_error("slice '" + a.node->name + "' is not a row-major slice");
  return KernelPtr(new RowSliceKernel(a, dims));
}

Expected<KernelPtr> make_slice(const KernelArgs& a) {
  if (!a.inputs[0].nhwc && !a.outputs[0].nhwc) return make_row_slice(a);  // a logical 4-D tensor
  std::vector<SliceDim> dims;
  if (!nhwc_slice(*a.g, *a.node, &dims) || !a.inputs[0].nhwc || !a.outputs[0].nhwc)
    return internal_error("slice '" + a.node->name + "' is not an NHWC slice");
  return KernelPtr(new SliceKernel(a, dims));
}

}  // namespace

CpuOpSupport slice_support(const Graph& g, const Node& n) {
  if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1) return {};
  std::vector<SliceDim> dims;
  if (nhwc_slice(g, n, &dims)) return strided_kernel(make_slice);
  if (row_slice(g, n, &dims)) return contiguous_kernel(make_row_slice);
  return {};
}

}  // namespace tandem::cpu
