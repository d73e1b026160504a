// Own int8 depthwise conv (3x3 or 5x5, any stride and pads, undilated) on AVX-512
// (16 channels per vector) or AVX2 + FMA (8): products summed in float, which is
// exact here (|x| <= 128, |w| <= 127, at most 25 taps: |sum| < 2^24), then the bias
// and the zero point's share in int32 and the reference's requantization, so
// results are bit-identical to the reference (docs/int8.md). One source for both
// levels (qdwconv_impl.h over a thin SIMD layer), compiled in qdwconv_avx512.cc
// and qdwconv_avx2.cc.
#pragma once

#include <pthreadpool.h>

#include <cstdint>
#include <vector>

namespace tandem::cpu {

// AVX-512F + BW + VL on this CPU.
bool qdwconv_avx512_available();
// AVX2 + FMA on this CPU.
bool qdwconv_avx2_available();

struct QDwGeometry {
  int64_t n, h, w, c, oh, ow, kh, kw, sh, sw, pt, pl;
  int32_t zx;
};

// The same packing for both levels (16 is a multiple of the AVX2 block of 8).
struct QDwWeights {
  int64_t cpad = 0;           // channels rounded up to 16
  std::vector<float> w;       // [kh * kw][cpad]
  std::vector<int32_t> bias;  // cpad: B[c] - zx * sum of the channel's taps
  std::vector<float> multiplier;
  int32_t zy = 0, lo = -128, hi = 127;
  std::vector<int8_t> zx_row;  // one input row of zx: what rows above and below read
};

// w: [c, 1, kh, kw] int8; bias may be null.
QDwWeights qdwconv_pack(const int8_t* w, const QDwGeometry& g, const int32_t* bias,
                        const std::vector<float>& multiplier, int32_t zy, int32_t lo, int32_t hi);
// Call only where qdwconv_avx512_available().
void qdwconv_run(const QDwWeights& w, const QDwGeometry& g, const int8_t* x, int8_t* y,
                 pthreadpool_t pool, uint32_t pool_flags);
// The same on AVX2 + FMA; call only where qdwconv_avx2_available().
void qdwconv_avx2_run(const QDwWeights& w, const QDwGeometry& g, const int8_t* x, int8_t* y,
                      pthreadpool_t pool, uint32_t pool_flags);

}  // namespace tandem::cpu
