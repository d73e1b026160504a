// 3x3 depthwise convolution for aarch64, NHWC: a channel group's 9 taps + bias stay in
// registers while the kernel walks one output row (weights loaded once per row, not per pixel).
#include <arm_neon.h>

#include <algorithm>

#include "kernels/cpu/neon/neon_kernels.h"

namespace tandem::neon {

namespace {

// G q-registers of channels (4*G channels) for one output pixel from 9 tap pointers.
// One partial sum per kernel row: three 3-long FMA chains instead of one 9-long chain.
template <int G>
inline void pixel(const float* const (&t)[9], const float32x4_t (&w)[G][10], float* o,
                  float32x4_t lo, float32x4_t hi) {
  for (int g = 0; g < G; ++g) {
    float32x4_t r0 = vfmaq_f32(w[g][0], vld1q_f32(t[0] + 4 * g), w[g][1]);
    float32x4_t r1 = vmulq_f32(vld1q_f32(t[3] + 4 * g), w[g][4]);
    float32x4_t r2 = vmulq_f32(vld1q_f32(t[6] + 4 * g), w[g][7]);
    r0 = vfmaq_f32(r0, vld1q_f32(t[1] + 4 * g), w[g][2]);
    r1 = vfmaq_f32(r1, vld1q_f32(t[4] + 4 * g), w[g][5]);
    r2 = vfmaq_f32(r2, vld1q_f32(t[7] + 4 * g), w[g][8]);
    r0 = vfmaq_f32(r0, vld1q_f32(t[2] + 4 * g), w[g][3]);
    r1 = vfmaq_f32(r1, vld1q_f32(t[5] + 4 * g), w[g][6]);
    r2 = vfmaq_f32(r2, vld1q_f32(t[8] + 4 * g), w[g][9]);
    const float32x4_t acc = vaddq_f32(vaddq_f32(r0, r1), r2);
    vst1q_f32(o + 4 * g, vminq_f32(vmaxq_f32(acc, lo), hi));
  }
}

struct RowGeometry {
  const float* rows[3];  // input rows for ky = 0..2, nullptr where the row is padding
  int ox_lo, ox_hi;      // [ox_lo, ox_hi): every tap column inside the image
};

// Channels [c, c+4G) of one output row: borders tap-by-tap, interior with pointer steps.
template <int G>
void row_group(const DwConv3x3Params& p, const RowGeometry& r, int ow, size_t ips, size_t ops,
               int c, const float* wg, const float* zero, float* out_row) {
  float32x4_t w[G][10];
  for (int g = 0; g < G; ++g)
    for (int j = 0; j < 10; ++j) w[g][j] = vld1q_f32(wg + g * 40 + j * 4);
  const float32x4_t lo = vdupq_n_f32(p.out_min), hi = vdupq_n_f32(p.out_max);
  const float* t[9];
  auto border = [&](int ox) {
    for (int ky = 0; ky < 3; ++ky) {
      for (int kx = 0; kx < 3; ++kx) {
        const int ix = ox * p.stride - p.pad_left + kx;
        t[ky * 3 + kx] = r.rows[ky] && ix >= 0 && ix < p.in_w ? r.rows[ky] + ix * ips + c : zero;
      }
    }
    pixel<G>(t, w, out_row + ox * ops + c, lo, hi);
  };
  for (int ox = 0; ox < r.ox_lo; ++ox) border(ox);
  if (r.ox_lo < r.ox_hi) {
    // Padding rows read the zero block with step 0, so the interior loop has no branches.
    const float* base[3];
    size_t col[3], adv[3];
    for (int ky = 0; ky < 3; ++ky) {
      const bool valid = r.rows[ky] != nullptr;
      base[ky] = valid ? r.rows[ky] + (r.ox_lo * p.stride - p.pad_left) * ips + c : zero;
      col[ky] = valid ? ips : 0;
      adv[ky] = valid ? p.stride * ips : 0;
    }
    const int ox_hi = r.ox_hi;  // a local: stores through out_row could alias r otherwise
    for (int ox = r.ox_lo; ox < ox_hi; ++ox) {
      for (int ky = 0; ky < 3; ++ky) {
        t[ky * 3 + 0] = base[ky];
        t[ky * 3 + 1] = base[ky] + col[ky];
        t[ky * 3 + 2] = base[ky] + 2 * col[ky];
        base[ky] += adv[ky];
      }
      pixel<G>(t, w, out_row + ox * ops + c, lo, hi);
    }
  }
  for (int ox = std::max(r.ox_hi, r.ox_lo); ox < ow; ++ox) border(ox);
}

// The last 1-3 channels, scalar: vector loads there could run past the input buffer.
void row_tail(const DwConv3x3Params& p, const RowGeometry& r, int ow, size_t ips, size_t ops, int c,
              const float* wg, float* out_row) {
  for (int ox = 0; ox < ow; ++ox) {
    for (int cc = c; cc < p.channels; ++cc) {
      const int lane = cc - c;
      float acc = wg[lane];
      for (int ky = 0; ky < 3; ++ky) {
        if (!r.rows[ky]) continue;
        for (int kx = 0; kx < 3; ++kx) {
          const int ix = ox * p.stride - p.pad_left + kx;
          if (ix < 0 || ix >= p.in_w) continue;
          acc += r.rows[ky][ix * ips + cc] * wg[4 + (ky * 3 + kx) * 4 + lane];
        }
      }
      out_row[ox * ops + cc] = std::min(std::max(acc, p.out_min), p.out_max);
    }
  }
}

}  // namespace

bool dwconv_f32_3x3_neon_c8(const DwConv3x3Params& p, const float* in, const float* packed,
                            float* out) {
  if ((p.stride != 1 && p.stride != 2) || p.batch < 1 || p.in_h < 1 || p.in_w < 1 ||
      p.channels < 1 || p.pad_top < 0 || p.pad_left < 0 || p.pad_bottom < 0 || p.pad_right < 0)
    return false;
  const int oh = dwconv_f32_3x3_out_h(p), ow = dwconv_f32_3x3_out_w(p);
  if (oh < 1 || ow < 1) return false;
  const size_t ips = p.in_pixel_stride ? p.in_pixel_stride : p.channels;
  const size_t ops = p.out_pixel_stride ? p.out_pixel_stride : p.channels;
  alignas(16) static const float kZero[8] = {};  // stands in for padded pixels (8 channels)

  RowGeometry r;
  r.ox_lo = 0;
  while (r.ox_lo < ow && r.ox_lo * p.stride - p.pad_left < 0) ++r.ox_lo;
  r.ox_hi = ow;
  while (r.ox_hi > r.ox_lo && (r.ox_hi - 1) * p.stride - p.pad_left + 2 >= p.in_w) --r.ox_hi;

  for (int b = 0; b < p.batch; ++b) {
    for (int oy = 0; oy < oh; ++oy) {
      for (int ky = 0; ky < 3; ++ky) {
        const int iy = oy * p.stride - p.pad_top + ky;
        r.rows[ky] = iy >= 0 && iy < p.in_h
                         ? in + (static_cast<size_t>(b) * p.in_h + iy) * p.in_w * ips
                         : nullptr;
      }
      float* out_row = out + (static_cast<size_t>(b) * oh + oy) * ow * ops;
      int c = 0;
      for (; c + 8 <= p.channels; c += 8)
        row_group<2>(p, r, ow, ips, ops, c, packed + c / 4 * 40, kZero, out_row);
      for (; c + 4 <= p.channels; c += 4)
        row_group<1>(p, r, ow, ips, ops, c, packed + c / 4 * 40, kZero, out_row);
      if (c < p.channels) row_tail(p, r, ow, ips, ops, c, packed + c / 4 * 40, out_row);
    }
  }
  return true;
}

}  // namespace tandem::neon
