// Rows of a 3x3, 5x5 or 7x7 depthwise convolution (stride 1 or 2, any padding), NHWC,
// on AVX-512 or AVX2 + FMA (the level given to init): shared by the depthwise
// kernel (ops/dwconv.cc) and the fused inverted residual block.
//
// One source for both levels (dwconv_rows_impl.h, a template over the SIMD
// layer), instantiated in dwconv_avx512.cc and dwconv_avx2.cc; the packed
// weights are laid out in channel blocks of the level's vector width (16 or 8).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/cpu/ops/conv_geometry.h"
#include "kernels/cpu/x86/isa.h"

namespace tandem::cpu {

// What the per-ISA row functions read: the geometry and the packed weights,
// [blocks][K*K taps + bias][lanes], zero-padded past C.
struct DwConvPacked {
  ConvGeometry q{};
  int64_t blocks = 0;
  const float* w = nullptr;
  const float* zeros = nullptr;  // a zero input row (columns outside the image read it)
  float lo = 0, hi = 0;
};

#if defined(__x86_64__)

class DwConvRows {
 public:
  static constexpr int kMaxK = 7;

  // w: ONNX [C, 1, K, K] with K = q.kh = q.kw (3, 5 or 7); bias may be nullptr;
  // outputs are clamped to [lo, hi]; the input's pixel stride is in_stride.
  // isa: kAvx512 or kAvx2 (at most what the CPU runs).
  void init(const ConvGeometry& q, const float* w, const float* bias, float lo, float hi,
            int64_t in_stride, CpuIsa isa);

  // Output pixels [ox0, ox1) of output row oy of image img, all channels: reads x
  // (pixel stride in_stride), writes pixel ox at out + (ox - ox0) * out_stride.
  void row(const float* x, int64_t in_stride, int64_t img, int64_t oy, int64_t ox0, int64_t ox1,
           float* out, int64_t out_stride) const;

  // The same from the K input rows the output row reads (top to bottom; rows
  // outside the image point at zeros(), at least as wide as one input row).
  void row_from(const float* const* rows, int64_t in_stride, int64_t ox0, int64_t ox1, float* out,
                int64_t out_stride) const;
  const float* zeros() const { return zeros_.data(); }

  const ConvGeometry& geometry() const { return p_.q; }
  CpuIsa isa() const { return isa_; }

 private:
  DwConvPacked p_;
  CpuIsa isa_ = CpuIsa::kAvx512;
  std::vector<float> packed_;  // p_.w points into it
  std::vector<float> zeros_;   // one input row of zeros (the padding above and below)
};

// The per-ISA instantiations of DwConvRows::row_from (dwconv_avx512.cc,
// dwconv_avx2.cc); call only on a CPU that runs that level.
namespace avx512 {
void dwconv_row_from(const DwConvPacked& p, const float* const* rows, int64_t in_stride,
                     int64_t ox0, int64_t ox1, float* out, int64_t out_stride);
}
namespace avx2 {
void dwconv_row_from(const DwConvPacked& p, const float* const* rows, int64_t in_stride,
                     int64_t ox0, int64_t ox1, float* out, int64_t out_stride);
}

#endif

}  // namespace tandem::cpu
