// Portable twin of dwconv_f32_3x3_neon_c8 on the same packed weights.
#include <algorithm>

#include "kernels/cpu/neon/neon_kernels.h"

namespace tandem::neon {

bool dwconv_f32_3x3_scalar(const DwConv3x3Params& p, const float* in, const float* packed,
                           float* out) {
  if ((p.stride != 1 && p.stride != 2) || p.batch < 1 || p.in_h < 1 || p.in_w < 1 ||
      p.channels < 1 || p.pad_top < 0 || p.pad_left < 0 || p.pad_bottom < 0 || p.pad_right < 0)
    return false;
  const int oh = dwconv_f32_3x3_out_h(p), ow = dwconv_f32_3x3_out_w(p);
  if (oh < 1 || ow < 1) return false;
  const size_t ips = p.in_pixel_stride ? p.in_pixel_stride : p.channels;
  const size_t ops = p.out_pixel_stride ? p.out_pixel_stride : p.channels;
  for (int b = 0; b < p.batch; ++b) {
    for (int oy = 0; oy < oh; ++oy) {
      for (int ox = 0; ox < ow; ++ox) {
        float* o = out + ((static_cast<size_t>(b) * oh + oy) * ow + ox) * ops;
        for (int c = 0; c < p.channels; ++c) {
          const float* g = packed + static_cast<size_t>(c / 4) * 40;
          const int lane = c % 4;
          double acc = g[lane];
          for (int ky = 0; ky < 3; ++ky) {
            const int iy = oy * p.stride - p.pad_top + ky;
            if (iy < 0 || iy >= p.in_h) continue;
            for (int kx = 0; kx < 3; ++kx) {
              const int ix = ox * p.stride - p.pad_left + kx;
              if (ix < 0 || ix >= p.in_w) continue;
              const float x = in[((static_cast<size_t>(b) * p.in_h + iy) * p.in_w + ix) * ips + c];
              acc += static_cast<double>(x) * g[4 + (ky * 3 + kx) * 4 + lane];
            }
          }
          o[c] = std::min(std::max(static_cast<float>(acc), p.out_min), p.out_max);
        }
      }
    }
  }
  return true;
}

}  // namespace tandem::neon
