// Layout conversions between the graph's NCHW boundary tensors and the cpu
// processor's NHWC (pixel-strided) activations.
#pragma once

#include <pthreadpool.h>

#include <cstdint>

#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {

// NCHW `src` [n, c, h, w] -> NHWC `dst` with `dst_stride` floats per pixel.
void nchw_to_nhwc(const float* src, int64_t n, int64_t c, int64_t h, int64_t w, float* dst,
                  int64_t dst_stride, pthreadpool_t pool);
// NHWC `src` with `src_stride` floats per pixel -> NCHW `dst` [n, c, h, w].
void nhwc_to_nchw(const float* src, int64_t src_stride, int64_t n, int64_t c, int64_t h, int64_t w,
                  float* dst, pthreadpool_t pool);
// Copies `pixels` rows of `channels` floats between strided buffers.
void copy_pixels(const float* src, int64_t src_stride, float* dst, int64_t dst_stride,
                 int64_t pixels, int64_t channels, pthreadpool_t pool);

// Writes tensor `t` (any layout, float32 or int8) to `dst` in its logical,
// contiguous layout (int8: bytes at `dst`).
void load_logical(const CpuTensor& t, float* dst, pthreadpool_t pool);
// Stores logical, contiguous `src` into tensor `t` (any layout).
void store_logical(const float* src, const CpuTensor& t, pthreadpool_t pool);

}  // namespace tandem::cpu
