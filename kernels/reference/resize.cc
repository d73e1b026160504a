// Resize of a 4-D NCHW tensor along H and W, nearest or bilinear, with the
// per-axis rules of resize_coords.cc (the ONNX spec's). Bilinear blends along W
// first, then along H, as the spec's nested 1-D interpolation does.
#include "kernels/reference/reference_ops.h"
#include "kernels/reference/resize_coords.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(Resize) {
  const Shape& xs = in_shape(g, n, 0);
  const Shape& ys = out_shape(g, n);
  const std::vector<ResizeTap> th = resize_taps(n.attrs, 2, xs[2]);
  const std::vector<ResizeTap> tw = resize_taps(n.attrs, 3, xs[3]);
  const int64_t planes = xs[0] * xs[1], ih = xs[2], iw = xs[3], oh = ys[2], ow = ys[3];
  for (int64_t p = 0; p < planes; ++p) {
    const float* x = in[0] + p * ih * iw;
    float* y = out[0] + p * oh * ow;
    for (int64_t oy = 0; oy < oh; ++oy) {
      const ResizeTap& ty = th[size_t(oy)];
      const float* r0 = x + ty.i0 * iw;
      const float* r1 = x + ty.i1 * iw;
      if (n.attrs.resize_mode == ResizeMode::kNearest) {
        for (int64_t ox = 0; ox < ow; ++ox) y[oy * ow + ox] = r0[tw[size_t(ox)].i0];
        continue;
      }
      for (int64_t ox = 0; ox < ow; ++ox) {
        const ResizeTap& tx = tw[size_t(ox)];
        const float top = (1 - tx.w) * r0[tx.i0] + tx.w * r0[tx.i1];
        const float bottom = (1 - tx.w) * r1[tx.i0] + tx.w * r1[tx.i1];
        y[oy * ow + ox] = (1 - ty.w) * top + ty.w * bottom;
      }
    }
  }
  return Status();
}

}  // namespace tandem::ref
