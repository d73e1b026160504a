// Resize of NCHW planes along H and W. taps: 3 ints per output row, then 3 per
// output column: input index i0, i1 and the float bits of weight w of i1
// (kernels/reference/resize_coords.cc). linear 0: nearest (reads i0).
kernel void resize(global const real* x, int x_off, global real* y, int y_off, int total, int ih,
                   int iw, int oh, int ow, global const int* taps, int linear) {
  const int i = get_global_id(0);
  if (i >= total) return;
  const int ox = i % ow;
  const int oy = (i / ow) % oh;
  const int plane = i / (ow * oh);
  global const int* ty = taps + 3 * oy;
  global const int* tx = taps + 3 * (oh + ox);
  const int base = x_off + plane * ih * iw;
  const int r0 = base + ty[0] * iw, r1 = base + ty[1] * iw;
  if (!linear) {
    ST(y, y_off + i, LD(x, r0 + tx[0]));
    return;
  }
  const float wy = as_float(ty[2]), wx = as_float(tx[2]);
  const float top = (1.0f - wx) * LD(x, r0 + tx[0]) + wx * LD(x, r0 + tx[1]);
  const float bottom = (1.0f - wx) * LD(x, r1 + tx[0]) + wx * LD(x, r1 + tx[1]);
  ST(y, y_off + i, (1.0f - wy) * top + wy * bottom);
}
