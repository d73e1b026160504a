// MaxPool and AveragePool, NCHW, 2-D windows with strides, dilations,
// asymmetric pads and ceil_mode (output size from shape inference).
#include <limits>

#include "kernels/reference/reference_ops.h"

namespace tandem::ref {
namespace {

struct PoolDims {
  int64_t planes, h, w, oh, ow;
  Window2d win;
};

Status pool_dims(const Graph& g, const Node& n, PoolDims* d) {
  const Shape& xs = in_shape(g, n, 0);
  const Shape& ys = out_shape(g, n);
  d->planes = xs[0] * xs[1];
  d->h = xs[2];
  d->w = xs[3];
  d->oh = ys[2];
  d->ow = ys[3];
  return window2d(n.attrs, n.attrs.kernel_shape[0], n.attrs.kernel_shape[1], node_label(n),
                  &d->win);
}

}  // namespace

TANDEM_REF_KERNEL(MaxPool) {
  PoolDims d;
  TANDEM_RETURN_IF_ERROR(pool_dims(g, n, &d));
  const Window2d& wn = d.win;
  for (int64_t p = 0; p < d.planes; ++p) {
    const float* x = in[0] + p * d.h * d.w;
    float* y = out[0] + p * d.oh * d.ow;
    for (int64_t oy = 0; oy < d.oh; ++oy) {
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        // Padding never wins: only input elements take part.
        float best = -std::numeric_limits<float>::infinity();
        for (int64_t ky = 0; ky < wn.kh; ++ky) {
          const int64_t iy = oy * wn.sh - wn.pad_top + ky * wn.dh;
          if (iy < 0 || iy >= d.h) continue;
          for (int64_t kx = 0; kx < wn.kw; ++kx) {
            const int64_t ix = ox * wn.sw - wn.pad_left + kx * wn.dw;
            if (ix >= 0 && ix < d.w && x[iy * d.w + ix] > best) best = x[iy * d.w + ix];
          }
        }
        y[oy * d.ow + ox] = best;
      }
    }
  }
  return Status();
}

TANDEM_REF_KERNEL(AveragePool) {
  PoolDims d;
  TANDEM_RETURN_IF_ERROR(pool_dims(g, n, &d));
  const Window2d& wn = d.win;
  // count_include_pad counts window taps inside the padded input, but not the
  // overhang past the end pad that ceil_mode adds (ONNX Runtime and PyTorch).
  const int64_t lo_y = n.attrs.count_include_pad ? -wn.pad_top : 0;
  const int64_t hi_y = n.attrs.count_include_pad ? d.h + wn.pad_bottom : d.h;
  const int64_t lo_x = n.attrs.count_include_pad ? -wn.pad_left : 0;
  const int64_t hi_x = n.attrs.count_include_pad ? d.w + wn.pad_right : d.w;
  for (int64_t p = 0; p < d.planes; ++p) {
    const float* x = in[0] + p * d.h * d.w;
    float* y = out[0] + p * d.oh * d.ow;
    for (int64_t oy = 0; oy < d.oh; ++oy) {
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        float sum = 0.0f;
        int64_t count = 0;
        for (int64_t ky = 0; ky < wn.kh; ++ky) {
          const int64_t iy = oy * wn.sh - wn.pad_top + ky * wn.dh;
          if (iy < lo_y || iy >= hi_y) continue;
          for (int64_t kx = 0; kx < wn.kw; ++kx) {
            const int64_t ix = ox * wn.sw - wn.pad_left + kx * wn.dw;
            if (ix < lo_x || ix >= hi_x) continue;
            ++count;
            if (iy >= 0 && iy < d.h && ix >= 0 && ix < d.w) sum += x[iy * d.w + ix];
          }
        }
        y[oy * d.ow + ox] = count > 0 ? sum / static_cast<float>(count) : 0.0f;
      }
    }
  }
  return Status();
}

}  // namespace tandem::ref
