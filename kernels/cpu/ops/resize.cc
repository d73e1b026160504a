// Resize of a 4-D NHWC activation along H and W on own loops, with the taps of
// kernels/reference/resize_coords.cc precomputed per axis at compile time.
// Nearest copies one run of channels per output pixel; an integer-factor
// nearest upsampling (YOLO's 2x) builds each output row once and copies it to
// the rows that repeat it. Bilinear is separable: a first pass resizes every
// input row along W into the workspace, a second blends two of those rows per
// output row (so an 8x upsampling blends along W once per input row, not per
// output row), with the reference kernel's operations in its order. Work is
// split over rows on the thread pool.
#include <cstring>

#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/reference/resize_coords.h"

namespace tandem::cpu {
namespace {

using ref::ResizeTap;

// The integer factor f when output index o reads input o / f for every o, else 0.
int64_t integer_factor(const std::vector<ResizeTap>& taps, int64_t in) {
  const int64_t out = int64_t(taps.size());
  if (out % in != 0) return 0;
  const int64_t f = out / in;
  for (int64_t o = 0; o < out; ++o)
    if (taps[size_t(o)].i0 != o / f) return 0;
  return f;
}

class ResizeKernel : public CpuKernel {
 public:
  explicit ResizeKernel(const KernelArgs& a)
      : x_(a.inputs[0]), y_(a.outputs[0]), rows_(a.workspace) {
    const NodeAttrs& at = a.node->attrs;
    linear_ = at.resize_mode == ResizeMode::kLinear;
    th_ = ref::resize_taps(at, 2, x_.h());
    tw_ = ref::resize_taps(at, 3, x_.w());
    if (!linear_) factor_h_ = integer_factor(th_, x_.h());
  }
  Status run(pthreadpool_t pool) override {
    if (factor_h_ > 0) {
      pthreadpool_parallelize_1d(pool, repeat_task, this, size_t(x_.n() * x_.h()),
                                 cpu_pool_flags());
    } else if (linear_) {
      pthreadpool_parallelize_1d(pool, width_task, this, size_t(x_.n() * x_.h()), cpu_pool_flags());
      pthreadpool_parallelize_1d(pool, height_task, this, size_t(y_.n() * y_.h()),
                                 cpu_pool_flags());
    } else {
      pthreadpool_parallelize_1d(pool, nearest_task, this, size_t(y_.n() * y_.h()),
                                 cpu_pool_flags());
    }
    return Status();
  }
  const char* kind() const override { return "own"; }

 private:
  const float* input_row(int64_t img, int64_t iy) const {
    return x_.data + (img * x_.h() + iy) * x_.w() * x_.pixel_stride;
  }
  float* output_row(int64_t img, int64_t oy) const {
    return y_.data + (img * y_.h() + oy) * y_.w() * y_.pixel_stride;
  }
  // Output row `dst` from input row `src`, one channel run per pixel.
  void nearest_row(const float* src, float* dst) const {
    const size_t bytes = sizeof(float) * size_t(y_.c());
    for (int64_t ox = 0; ox < y_.w(); ++ox, dst += y_.pixel_stride)
      std::memcpy(dst, src + tw_[size_t(ox)].i0 * x_.pixel_stride, bytes);
  }
  // Input row `index` (image-major) to the factor_h_ output rows that repeat it.
  static void repeat_task(void* ctx, size_t index) {
    const auto* k = static_cast<const ResizeKernel*>(ctx);
    const int64_t img = int64_t(index) / k->x_.h(), iy = int64_t(index) % k->x_.h();
    float* first = k->output_row(img, iy * k->factor_h_);
    k->nearest_row(k->input_row(img, iy), first);
    const int64_t row_floats = k->y_.w() * k->y_.pixel_stride;
    for (int64_t r = 1; r < k->factor_h_; ++r) {
      float* dst = first + r * row_floats;
      if (k->y_.contiguous()) {
        std::memcpy(dst, first, sizeof(float) * size_t(row_floats));
        continue;
      }
      // A slice of a wider (concatenated) buffer: copy only this tensor's channels.
      const size_t bytes = sizeof(float) * size_t(k->y_.c());
      for (int64_t p = 0; p < row_floats; p += k->y_.pixel_stride)
        std::memcpy(dst + p, first + p, bytes);
    }
  }
  static void nearest_task(void* ctx, size_t index) {
    const auto* k = static_cast<const ResizeKernel*>(ctx);
    const int64_t img = int64_t(index) / k->y_.h(), oy = int64_t(index) % k->y_.h();
    k->nearest_row(k->input_row(img, k->th_[size_t(oy)].i0), k->output_row(img, oy));
  }
  // Input row `index` (image-major) resized along W into rows_ (OW x C, contiguous).
  static void width_task(void* ctx, size_t index) {
    const auto* k = static_cast<const ResizeKernel*>(ctx);
    const int64_t img = int64_t(index) / k->x_.h(), iy = int64_t(index) % k->x_.h();
    const float* __restrict src = k->input_row(img, iy);
    const int64_t channels = k->y_.c(), ips = k->x_.pixel_stride;
    float* __restrict dst = k->rows_ + int64_t(index) * k->y_.w() * channels;
    for (int64_t ox = 0; ox < k->y_.w(); ++ox, dst += channels) {
      const ResizeTap& tx = k->tw_[size_t(ox)];
      const float wx = tx.w, vx = 1 - tx.w;
      const float* __restrict a0 = src + tx.i0 * ips;
      const float* __restrict a1 = src + tx.i1 * ips;
      for (int64_t c = 0; c < channels; ++c) dst[c] = vx * a0[c] + wx * a1[c];
    }
  }
  // Output row `index`: the blend of the two W-resized rows its H tap names.
  static void height_task(void* ctx, size_t index) {
    const auto* k = static_cast<const ResizeKernel*>(ctx);
    const int64_t img = int64_t(index) / k->y_.h(), oy = int64_t(index) % k->y_.h();
    const ResizeTap& ty = k->th_[size_t(oy)];
    const int64_t channels = k->y_.c(), row = k->y_.w() * channels;
    const float* __restrict h0 = k->rows_ + (img * k->x_.h() + ty.i0) * row;
    const float* __restrict h1 = k->rows_ + (img * k->x_.h() + ty.i1) * row;
    float* __restrict dst = k->output_row(img, oy);
    const float wy = ty.w, vy = 1 - ty.w;
    if (k->y_.contiguous()) {
      for (int64_t i = 0; i < row; ++i) dst[i] = vy * h0[i] + wy * h1[i];
      return;
    }
    for (int64_t p = 0; p < row; p += channels, dst += k->y_.pixel_stride)
      for (int64_t c = 0; c < channels; ++c) dst[c] = vy * h0[p + c] + wy * h1[p + c];
  }

  CpuTensor x_, y_;
  bool linear_ = false;
  int64_t factor_h_ = 0;  // > 0: integer-factor nearest upsampling along H
  std::vector<ResizeTap> th_, tw_;
  float* rows_ = nullptr;  // bilinear: the input rows resized along W (the range's workspace)
};

Expected<KernelPtr> make_resize(const KernelArgs& a) {
  if (!a.inputs[0].nhwc || !a.outputs[0].nhwc)
    return internal_error("resize '" + a.node->name + "' needs NHWC data");
  if (a.node->attrs.resize_mode == ResizeMode::kLinear && !a.workspace)
    return internal_error("resize '" + a.node->name + "' has no workspace");
  return KernelPtr(new ResizeKernel(a));
}

}  // namespace

CpuOpSupport resize_support(const Graph& g, const Node& n) {
  if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1) return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  if (x.shape.size() != 4 || x.dtype != DType::kFloat32 || x.is_constant()) return {};
  const Shape& y = g.tensor(n.outputs[0]).shape;
  if (shape_elements(x.shape) <= 0 || shape_elements(y) <= 0 || y.size() != 4) return {};
  // Bilinear: every input row resized along W (N * IH * OW * C floats).
  const bool linear = n.attrs.resize_mode == ResizeMode::kLinear;
  return strided_kernel(make_resize, linear ? size_t(x.shape[0] * x.shape[2] * y[3] * y[1]) : 0);
}

}  // namespace tandem::cpu
