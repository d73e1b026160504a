// Own int8 depthwise conv (3x3 or 5x5, any stride and pads, undilated) on AVX-512:
// 16 channels per vector, products summed in float, which is exact here
// (|x| <= 128, |w| <= 127, at most 25 taps: |sum| < 2^24), then the bias and
// the zero point's share in int32 and the reference's requantization, so
// results are bit-identical to the reference (docs/int8.md).
#pragma once

#include <pthreadpool.h>

#include <cstdint>
#include <vector>

namespace tandem::cpu {

// AVX-512F + BW + VL on this CPU.
bool qdwconv_avx512_available();

struct QDwGeometry {
  int64_t n, h, w, c, oh, ow, kh, kw, sh, sw, pt, pl;
  int32_t zx;
};

struct QDwWeights {
  int64_t cpad = 0;           // channels rounded up to 16
  std::vector<float> w;       // [kh * kw][cpad]
  std::vector<int32_t> bias;  // cpad: B[c] - zx * sum of the channel's taps
  std::vector<float> multiplier;
  int32_t zy = 0, lo = -128, hi = 127;
};

// w: [c, 1, kh, kw] int8; bias may be null.
QDwWeights qdwconv_pack(const int8_t* w, const QDwGeometry& g, const int32_t* bias,
                        const std::vector<float>& multiplier, int32_t zy, int32_t lo, int32_t hi);
void qdwconv_run(const QDwWeights& w, const QDwGeometry& g, const int8_t* x, int8_t* y,
                 pthreadpool_t pool, uint32_t pool_flags);

}  // namespace tandem::cpu
