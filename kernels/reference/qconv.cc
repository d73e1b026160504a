// QConv and QGemm: int32 accumulation of (x - zx) * w plus the int32 bias,
// requantized per output channel (docs/int8.md). NCHW, direct loops.
#include "graph/quant_math.h"
#include "kernels/reference/reference_ops.h"

namespace tandem::ref {
namespace {

struct QConvDims {
  int64_t n, c, h, w, m, oh, ow, cg, mg;
  Window2d win;
};

// One output channel of one image.
void qconv_plane(const QConvDims& d, const int8_t* x, int32_t zx, const int8_t* wm, int32_t bias,
                 int64_t group, float mult, int32_t zy, int32_t lo, int32_t hi, int8_t* y) {
  const Window2d& k = d.win;
  for (int64_t oy = 0; oy < d.oh; ++oy)
    for (int64_t ox = 0; ox < d.ow; ++ox) {
      int32_t acc = bias;
      for (int64_t ci = 0; ci < d.cg; ++ci) {
        const int8_t* xc = x + (group * d.cg + ci) * d.h * d.w;
        const int8_t* wc = wm + ci * k.kh * k.kw;
        for (int64_t ky = 0; ky < k.kh; ++ky) {
          const int64_t iy = oy * k.sh - k.pad_top + ky * k.dh;
          if (iy < 0 || iy >= d.h) continue;  // padding is zx: contributes 0
          for (int64_t kx = 0; kx < k.kw; ++kx) {
            const int64_t ix = ox * k.sw - k.pad_left + kx * k.dw;
            if (ix < 0 || ix >= d.w) continue;
            acc += (int32_t(xc[iy * d.w + ix]) - zx) * int32_t(wc[ky * k.kw + kx]);
          }
        }
      }
      y[oy * d.ow + ox] = qmath::requantize(acc, mult, zy, lo, hi);
    }
}

}  // namespace

TANDEM_REF_KERNEL(QConv) {
  const Shape& xs = in_shape(g, n, 0);
  const Shape& ws = in_shape(g, n, 1);
  const Shape& ys = out_shape(g, n);
  QConvDims d{xs[0], xs[1], xs[2], xs[3], ws[0], ys[2], ys[3], 0, 0, {}};
  d.cg = d.c / n.attrs.group;
  d.mg = d.m / n.attrs.group;
  TANDEM_RETURN_IF_ERROR(window2d(n.attrs, ws[2], ws[3], node_label(n), &d.win));
  const Quantization& qx = g.tensor(n.inputs[0]).quant;
  const Quantization& qw = g.tensor(n.inputs[1]).quant;
  const Quantization& qy = g.tensor(n.outputs[0]).quant;
  const auto* x = reinterpret_cast<const int8_t*>(in[0]);
  const auto* w = reinterpret_cast<const int8_t*>(in[1]);
  const auto* b = reinterpret_cast<const int32_t*>(optional_input(n, in, 2));
  auto* y = reinterpret_cast<int8_t*>(out[0]);
  const int64_t wsize = ws[1] * ws[2] * ws[3];
  for (int64_t img = 0; img < d.n; ++img)
    for (int64_t m = 0; m < d.m; ++m)
      qconv_plane(d, x + img * d.c * d.h * d.w, qx.zero_point[0], w + m * wsize, b ? b[m] : 0,
                  m / d.mg, qmath::conv_multiplier(qx, qw, size_t(m), qy), qy.zero_point[0],
                  n.attrs.qmin, n.attrs.qmax, y + (img * d.m + m) * d.oh * d.ow);
  return Status();
}

TANDEM_REF_KERNEL(QGemm) {
  const Shape& xs = in_shape(g, n, 0);
  const Shape& ws = in_shape(g, n, 1);
  const Quantization& qx = g.tensor(n.inputs[0]).quant;
  const Quantization& qw = g.tensor(n.inputs[1]).quant;
  const Quantization& qy = g.tensor(n.outputs[0]).quant;
  const auto* x = reinterpret_cast<const int8_t*>(in[0]);
  const auto* w = reinterpret_cast<const int8_t*>(in[1]);
  const auto* b = reinterpret_cast<const int32_t*>(optional_input(n, in, 2));
  auto* y = reinterpret_cast<int8_t*>(out[0]);
  const int64_t rows = xs[0], k = xs[1], m = ws[0];
  const int32_t zx = qx.zero_point[0];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < m; ++j) {
      int32_t acc = b ? b[j] : 0;
      for (int64_t i = 0; i < k; ++i) acc += (int32_t(x[r * k + i]) - zx) * int32_t(w[j * k + i]);
      y[r * m + j] = qmath::requantize(acc, qmath::conv_multiplier(qx, qw, size_t(j), qy),
                                       qy.zero_point[0], n.attrs.qmin, n.attrs.qmax);
    }
  return Status();
}

}  // namespace tandem::ref
