// QMaxPool and QGlobalAveragePool on int8 NCHW (docs/int8.md).
#include "graph/quant_math.h"
#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

// The max of the int8 values (padding never wins), requantized when the
// output's quantization differs from the input's.
TANDEM_REF_KERNEL(QMaxPool) {
  const Shape& xs = in_shape(g, n, 0);
  const Shape& ys = out_shape(g, n);
  Window2d wn;
  TANDEM_RETURN_IF_ERROR(
      window2d(n.attrs, n.attrs.kernel_shape[0], n.attrs.kernel_shape[1], node_label(n), &wn));
  const Quantization& qx = g.tensor(n.inputs[0]).quant;
  const Quantization& qy = g.tensor(n.outputs[0]).quant;
  const bool same = qx == qy;
  const int64_t planes = xs[0] * xs[1], h = xs[2], w = xs[3], oh = ys[2], ow = ys[3];
  for (int64_t p = 0; p < planes; ++p) {
    const auto* x = reinterpret_cast<const int8_t*>(in[0]) + p * h * w;
    auto* y = reinterpret_cast<int8_t*>(out[0]) + p * oh * ow;
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        int8_t best = -128;
        for (int64_t ky = 0; ky < wn.kh; ++ky) {
          const int64_t iy = oy * wn.sh - wn.pad_top + ky * wn.dh;
          if (iy < 0 || iy >= h) continue;
          for (int64_t kx = 0; kx < wn.kw; ++kx) {
            const int64_t ix = ox * wn.sw - wn.pad_left + kx * wn.dw;
            if (ix >= 0 && ix < w) best = std::max(best, x[iy * w + ix]);
          }
        }
        y[oy * ow + ox] = same ? best : qmath::requantize_value(best, qx, qy);
      }
  }
  return Status();
}

TANDEM_REF_KERNEL(QGlobalAveragePool) {
  const Shape& xs = in_shape(g, n, 0);
  const Quantization& qx = g.tensor(n.inputs[0]).quant;
  const Quantization& qy = g.tensor(n.outputs[0]).quant;
  const int64_t planes = xs[0] * xs[1], pixels = xs[2] * xs[3];
  const float mult = qmath::average_multiplier(qx, qy, pixels);
  const int32_t zx = qx.zero_point[0];
  for (int64_t p = 0; p < planes; ++p) {
    const auto* x = reinterpret_cast<const int8_t*>(in[0]) + p * pixels;
    int32_t acc = 0;
    for (int64_t i = 0; i < pixels; ++i) acc += int32_t(x[i]) - zx;
    reinterpret_cast<int8_t*>(out[0])[p] = qmath::requantize(acc, mult, qy.zero_point[0]);
  }
  return Status();
}

}  // namespace tandem::ref
