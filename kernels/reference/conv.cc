// Conv, NCHW: im2col over tiles of output pixels + Eigen GEMM per group;
// 1x1 stride-1 unpadded convs multiply the input directly; convs with one
// input channel per group (depthwise) use a direct loop.
#include <Eigen/Core>
#include <algorithm>
#include <vector>

#include "kernels/reference/reference_ops.h"

namespace tandem::ref {
namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMat>;
using ConstStridedMap = Eigen::Map<const RowMat, 0, Eigen::OuterStride<>>;
using StridedMap = Eigen::Map<RowMat, 0, Eigen::OuterStride<>>;

// Bound on the im2col tile (floats) so huge layers do not need a huge buffer.
constexpr int64_t kColTileFloats = int64_t{1} << 20;

struct ConvDims {
  int64_t c, h, w;        // input channels and size
  int64_t m, oh, ow;      // output channels and size
  int64_t group, cg, mg;  // groups, input and output channels per group
  Window2d win;
};

// Output positions ox in [lo, hi) whose input column ox * stride + offset
// lies inside [0, size).
void valid_range(int64_t offset, int64_t stride, int64_t size, int64_t out, int64_t* lo,
                 int64_t* hi) {
  *lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  *hi = size - 1 - offset < 0 ? 0 : (size - 1 - offset) / stride + 1;
  *lo = std::min(*lo, out);
  *hi = std::max(*lo, std::min(*hi, out));
}

// Fills col[K x count] with the receptive fields of output pixels
// [p0, p0 + count) of one group's input planes x (cg planes), one output row
// segment at a time so the inner loops are branch-free copies.
void im2col(const float* x, const ConvDims& d, int64_t p0, int64_t count, float* col) {
  const Window2d& wn = d.win;
  float* row = col;
  for (int64_t c = 0; c < d.cg; ++c) {
    const float* plane = x + c * d.h * d.w;
    for (int64_t ky = 0; ky < wn.kh; ++ky) {
      for (int64_t kx = 0; kx < wn.kw; ++kx, row += count) {
        const int64_t col_off = kx * wn.dw - wn.pad_left;
        int64_t lo = 0, hi = 0;
        valid_range(col_off, wn.sw, d.w, d.ow, &lo, &hi);
        for (int64_t p = p0; p < p0 + count;) {
          const int64_t oy = p / d.ow;
          const int64_t ox0 = p % d.ow;
          const int64_t ox1 = std::min(d.ow, ox0 + (p0 + count - p));
          float* dst = row + (p - p0) - ox0;  // dst[ox] is output column ox
          const int64_t iy = oy * wn.sh - wn.pad_top + ky * wn.dh;
          if (iy < 0 || iy >= d.h) {
            std::fill(dst + ox0, dst + ox1, 0.0f);
          } else {
            const float* src = plane + iy * d.w + col_off;
            const int64_t a = std::max(ox0, lo), b = std::min(ox1, hi);
            if (a >= b) {
              std::fill(dst + ox0, dst + ox1, 0.0f);
            } else {
              std::fill(dst + ox0, dst + a, 0.0f);
              if (wn.sw == 1) {
                std::copy(src + a, src + b, dst + a);
              } else {
                for (int64_t ox = a; ox < b; ++ox) dst[ox] = src[ox * wn.sw];
              }
              std::fill(dst + b, dst + ox1, 0.0f);
            }
          }
          p += ox1 - ox0;
        }
      }
    }
  }
}

// One input channel per group: out channel m reads input channel m / mg.
// Accumulates tap by tap over the valid output span of each row.
void depthwise(const float* x, const float* w, const ConvDims& d, float* y) {
  const Window2d& wn = d.win;
  std::vector<int64_t> lo(static_cast<size_t>(wn.kw)), hi(static_cast<size_t>(wn.kw));
  for (int64_t kx = 0; kx < wn.kw; ++kx)
    valid_range(kx * wn.dw - wn.pad_left, wn.sw, d.w, d.ow, &lo[static_cast<size_t>(kx)],
                &hi[static_cast<size_t>(kx)]);
  for (int64_t m = 0; m < d.m; ++m) {
    const float* plane = x + (m / d.mg) * d.h * d.w;
    const float* k = w + m * wn.kh * wn.kw;
    for (int64_t oy = 0; oy < d.oh; ++oy) {
      float* out = y + (m * d.oh + oy) * d.ow;
      std::fill(out, out + d.ow, 0.0f);
      for (int64_t ky = 0; ky < wn.kh; ++ky) {
        const int64_t iy = oy * wn.sh - wn.pad_top + ky * wn.dh;
        if (iy < 0 || iy >= d.h) continue;
        for (int64_t kx = 0; kx < wn.kw; ++kx) {
          const float wk = k[ky * wn.kw + kx];
          const float* src = plane + iy * d.w + kx * wn.dw - wn.pad_left;
          const int64_t a = lo[static_cast<size_t>(kx)], b = hi[static_cast<size_t>(kx)];
          if (wn.sw == 1) {
            for (int64_t ox = a; ox < b; ++ox) out[ox] += src[ox] * wk;
          } else {
            for (int64_t ox = a; ox < b; ++ox) out[ox] += src[ox * wn.sw] * wk;
          }
        }
      }
    }
  }
}

}  // namespace

TANDEM_REF_KERNEL(Conv) {
  const Shape& xs = in_shape(g, n, 0);
  const Shape& ws = in_shape(g, n, 1);
  const Shape& ys = out_shape(g, n);
  ConvDims d;
  d.c = xs[1];
  d.h = xs[2];
  d.w = xs[3];
  d.m = ws[0];
  d.oh = ys[2];
  d.ow = ys[3];
  d.group = n.attrs.group;
  d.cg = d.c / d.group;
  d.mg = d.m / d.group;
  TANDEM_RETURN_IF_ERROR(window2d(n.attrs, ws[2], ws[3], node_label(n), &d.win));
  const float* x = in[0];
  const float* w = in[1];
  const float* bias = optional_input(n, in, 2);
  float* y = out[0];
  const int64_t batch = xs[0];
  const int64_t pixels = d.oh * d.ow;
  const int64_t k = d.cg * d.win.kh * d.win.kw;
  const Window2d& wn = d.win;
  const bool pointwise = wn.kh == 1 && wn.kw == 1 && wn.sh == 1 && wn.sw == 1 && wn.pad_top == 0 &&
                         wn.pad_left == 0 && wn.pad_bottom == 0 && wn.pad_right == 0;
  const int64_t tile =
      std::max<int64_t>(1, std::min(pixels, kColTileFloats / std::max<int64_t>(k, 1)));
  // Reused per thread: a fresh multi-MB buffer per call costs page faults.
  thread_local std::vector<float> col;
  if (!pointwise && d.cg != 1 && col.size() < static_cast<size_t>(k * tile))
    col.resize(static_cast<size_t>(k * tile));

  for (int64_t b = 0; b < batch; ++b) {
    const float* xb = x + b * d.c * d.h * d.w;
    float* yb = y + b * d.m * pixels;
    if (d.cg == 1 && !pointwise) {
      depthwise(xb, w, d, yb);
    } else {
      for (int64_t grp = 0; grp < d.group; ++grp) {
        const float* xg = xb + grp * d.cg * d.h * d.w;
        ConstMap wg(w + grp * d.mg * k, d.mg, k);
        for (int64_t p0 = 0; p0 < pixels; p0 += tile) {
          const int64_t count = std::min(tile, pixels - p0);
          StridedMap yt(yb + grp * d.mg * pixels + p0, d.mg, count, Eigen::OuterStride<>(pixels));
          if (pointwise) {
            ConstStridedMap xt(xg + p0, k, count, Eigen::OuterStride<>(pixels));
            yt.noalias() = wg * xt;
          } else {
            im2col(xg, d, p0, count, col.data());
            ConstMap ct(col.data(), k, count);
            yt.noalias() = wg * ct;
          }
        }
      }
    }
    if (bias) {
      for (int64_t m = 0; m < d.m; ++m) {
        float* plane = yb + m * pixels;
        for (int64_t p = 0; p < pixels; ++p) plane[p] += bias[m];
      }
    }
  }
  apply_activation(y, batch * d.m * pixels, n.attrs.activation);
  return Status();
}

}  // namespace tandem::ref
