// Rows of a 3x3 or 5x5 depthwise convolution (stride 1 or 2, any padding), NHWC,
// on AVX-512: shared by the depthwise kernel and the fused inverted residual block.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/cpu/ops/conv_geometry.h"
#include "kernels/cpu/x86/gemm_avx512.h"

namespace tandem::cpu {

#if defined(__x86_64__)

class DwConvRows {
 public:
  static constexpr int kMaxK = 5;

  // w: ONNX [C, 1, K, K] with K = q.kh = q.kw (3 or 5); bias may be nullptr;
  // outputs are clamped to [lo, hi]; the input's pixel stride is in_stride.
  void init(const ConvGeometry& q, const float* w, const float* bias, float lo, float hi,
            int64_t in_stride);

  // Output pixels [ox0, ox1) of output row oy of image img, all channels: reads x
  // (pixel stride in_stride), writes pixel ox at out + (ox - ox0) * out_stride.
  TANDEM_AVX512 void row(const float* x, int64_t in_stride, int64_t img, int64_t oy, int64_t ox0,
                         int64_t ox1, float* out, int64_t out_stride) const;

  // The same from the K input rows the output row reads (top to bottom; rows
  // outside the image point at zeros(), at least as wide as one input row).
  TANDEM_AVX512 void row_from(const float* const* rows, int64_t in_stride, int64_t ox0, int64_t ox1,
                              float* out, int64_t out_stride) const;
  const float* zeros() const { return zeros_.data(); }

  const ConvGeometry& geometry() const { return q_; }

 private:
  // Output pixels ox .. ox + n - 1 (n <= 4), all channels, any position.
  template <int K>
  TANDEM_AVX512 void group(int64_t ox, int64_t n, const float* const* rows, int64_t in_stride,
                           float* out, int64_t out_stride) const;
  // Four pixels whose taps are all inside the image (no column checks).
  template <int K, int S>
  TANDEM_AVX512 void interior_quad(int64_t ox, const float* const* rows, int64_t in_stride,
                                   float* out, int64_t out_stride) const;
  template <int K, int S>
  TANDEM_AVX512 void row_k(const float* const* rows, int64_t in_stride, int64_t ox0, int64_t ox1,
                           float* out, int64_t out_stride) const;

  ConvGeometry q_{};
  int64_t blocks_ = 0;
  int taps_ = 9;  // K * K
  float lo_ = 0, hi_ = 0;
  std::vector<float> packed_;  // [C/16][K*K taps + bias][16], zero-padded past C
  std::vector<float> zeros_;   // one input row of zeros (the padding above and below)
};

#endif

}  // namespace tandem::cpu
