#include "kernels/cpu/compiler/layout.h"

#include <algorithm>
#include <cstring>

namespace tandem::cpu {
namespace {

constexpr int64_t kTile = 32;  // pixels x channels tile: both sides stay in L1

template <typename T>
struct TransposeJob {
  const T* src;
  T* dst;
  int64_t c, hw, stride;
  int64_t pixel_tiles;
};

// One (image, pixel tile) of NCHW -> NHWC.
template <typename T>
void to_nhwc_tile(void* ctx, size_t index) {
  const auto* j = static_cast<const TransposeJob<T>*>(ctx);
  int64_t img = static_cast<int64_t>(index) / j->pixel_tiles;
  int64_t p0 = (static_cast<int64_t>(index) % j->pixel_tiles) * kTile;
  int64_t p1 = std::min(p0 + kTile, j->hw);
  const T* s = j->src + img * j->c * j->hw;
  T* d = j->dst + img * j->hw * j->stride;
  for (int64_t c0 = 0; c0 < j->c; c0 += kTile) {
    int64_t c1 = std::min(c0 + kTile, j->c);
    for (int64_t p = p0; p < p1; ++p)
      for (int64_t c = c0; c < c1; ++c) d[p * j->stride + c] = s[c * j->hw + p];
  }
}

template <typename T>
void to_nchw_tile(void* ctx, size_t index) {
  const auto* j = static_cast<const TransposeJob<T>*>(ctx);
  int64_t img = static_cast<int64_t>(index) / j->pixel_tiles;
  int64_t p0 = (static_cast<int64_t>(index) % j->pixel_tiles) * kTile;
  int64_t p1 = std::min(p0 + kTile, j->hw);
  const T* s = j->src + img * j->hw * j->stride;
  T* d = j->dst + img * j->c * j->hw;
  for (int64_t c0 = 0; c0 < j->c; c0 += kTile) {
    int64_t c1 = std::min(c0 + kTile, j->c);
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t p = p0; p < p1; ++p) d[c * j->hw + p] = s[p * j->stride + c];
  }
}

struct CopyJob {
  const float* src;
  float* dst;
  int64_t src_stride, dst_stride, channels, rows_per_task, pixels;
};

void copy_rows(void* ctx, size_t index) {
  const auto* j = static_cast<const CopyJob*>(ctx);
  int64_t r0 = static_cast<int64_t>(index) * j->rows_per_task;
  int64_t r1 = std::min(r0 + j->rows_per_task, j->pixels);
  for (int64_t r = r0; r < r1; ++r)
    std::memcpy(j->dst + r * j->dst_stride, j->src + r * j->src_stride,
                static_cast<size_t>(j->channels) * sizeof(float));
}

template <typename T>
void to_nhwc(const T* src, int64_t n, int64_t c, int64_t h, int64_t w, T* dst, int64_t dst_stride,
             pthreadpool_t pool) {
  int64_t hw = h * w;
  if (c == 1 && dst_stride == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n * hw) * sizeof(T));
    return;
  }
  TransposeJob<T> job{src, dst, c, hw, dst_stride, (hw + kTile - 1) / kTile};
  pthreadpool_parallelize_1d(pool, to_nhwc_tile<T>, &job, static_cast<size_t>(n * job.pixel_tiles),
                             cpu_pool_flags());
}

template <typename T>
void to_nchw(const T* src, int64_t src_stride, int64_t n, int64_t c, int64_t h, int64_t w, T* dst,
             pthreadpool_t pool) {
  int64_t hw = h * w;
  if (c == 1 && src_stride == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n * hw) * sizeof(T));
    return;
  }
  TransposeJob<T> job{src, dst, c, hw, src_stride, (hw + kTile - 1) / kTile};
  pthreadpool_parallelize_1d(pool, to_nchw_tile<T>, &job, static_cast<size_t>(n * job.pixel_tiles),
                             cpu_pool_flags());
}

}  // namespace

void nchw_to_nhwc(const float* src, int64_t n, int64_t c, int64_t h, int64_t w, float* dst,
                  int64_t dst_stride, pthreadpool_t pool) {
  to_nhwc(src, n, c, h, w, dst, dst_stride, pool);
}

void nhwc_to_nchw(const float* src, int64_t src_stride, int64_t n, int64_t c, int64_t h, int64_t w,
                  float* dst, pthreadpool_t pool) {
  to_nchw(src, src_stride, n, c, h, w, dst, pool);
}

void copy_pixels(const float* src, int64_t src_stride, float* dst, int64_t dst_stride,
                 int64_t pixels, int64_t channels, pthreadpool_t pool) {
  if (src_stride == channels && dst_stride == channels) {
    std::memcpy(dst, src, static_cast<size_t>(pixels * channels) * sizeof(float));
    return;
  }
  int64_t rows = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, channels));
  CopyJob job{src, dst, src_stride, dst_stride, channels, rows, pixels};
  pthreadpool_parallelize_1d(pool, copy_rows, &job, static_cast<size_t>((pixels + rows - 1) / rows),
                             cpu_pool_flags());
}

void load_logical(const CpuTensor& t, float* dst, pthreadpool_t pool) {
  if (t.nhwc && t.dtype == DType::kInt8)
    to_nchw(t.i8(), t.pixel_stride, t.n(), t.c(), t.h(), t.w(), reinterpret_cast<int8_t*>(dst),
            pool);
  else if (t.nhwc)
    nhwc_to_nchw(t.data, t.pixel_stride, t.n(), t.c(), t.h(), t.w(), dst, pool);
  else
    std::memcpy(dst, t.data, static_cast<size_t>(t.elements()) * dtype_size(t.dtype));
}

void store_logical(const float* src, const CpuTensor& t, pthreadpool_t pool) {
  if (t.nhwc && t.dtype == DType::kInt8)
    to_nhwc(reinterpret_cast<const int8_t*>(src), t.n(), t.c(), t.h(), t.w(), t.i8(),
            t.pixel_stride, pool);
  else if (t.nhwc)
    nchw_to_nhwc(src, t.n(), t.c(), t.h(), t.w(), t.data, t.pixel_stride, pool);
  else
    std::memcpy(t.data, src, static_cast<size_t>(t.elements()) * dtype_size(t.dtype));
}

}  // namespace tandem::cpu
