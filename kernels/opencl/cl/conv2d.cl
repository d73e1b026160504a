// Direct convolution, NCHW, any groups/strides/dilations/pads, fused bias and clamp.
// One work-item per output pixel (dim 0, contiguous in memory) x channel x batch.
kernel void conv2d(global const real* x, int x_off, global const real* w, int w_off,
                   global const real* bias, int b_off, int has_bias, global real* y, int y_off,
                   int C, int H, int W, int M, int OH, int OW, int KH, int KW, int SH, int SW,
                   int DH, int DW, int PT, int PL, int groups, float lo, float hi) {
  const int p = get_global_id(0);
  const int m = get_global_id(1);
  const int n = get_global_id(2);
  if (p >= OH * OW) return;
  const int oh = p / OW, ow = p - oh * OW;
  const int cg = C / groups, g = m / (M / groups);
  const global real* wp = w + w_off + m * cg * KH * KW;
  const global real* xp = x + x_off + (n * C + g * cg) * H * W;
  const int ih0 = oh * SH - PT, iw0 = ow * SW - PL;
  float acc = has_bias ? LD(bias, b_off + m) : 0.0f;
  for (int c = 0; c < cg; ++c) {
    const global real* xc = xp + c * H * W;
    const global real* wc = wp + c * KH * KW;
    for (int kh = 0; kh < KH; ++kh) {
      const int ih = ih0 + kh * DH;
      if (ih < 0 || ih >= H) continue;
      for (int kw = 0; kw < KW; ++kw) {
        const int iw = iw0 + kw * DW;
        if (iw < 0 || iw >= W) continue;
        acc += LD(xc, ih * W + iw) * LD(wc, kh * KW + kw);
      }
    }
  }
  ST(y, y_off + (n * M + m) * OH * OW + p, fmin(fmax(acc, lo), hi));
}

// The same, 8 output channels per work-item (M / groups divisible by 8): each
// input load feeds 8 FMAs, and weight loads are shared by neighbouring pixels.
kernel void conv2d_m8(global const real* x, int x_off, global const real* w, int w_off,
                      global const real* bias, int b_off, int has_bias, global real* y, int y_off,
                      int C, int H, int W, int M, int OH, int OW, int KH, int KW, int SH, int SW,
                      int DH, int DW, int PT, int PL, int groups, float lo, float hi) {
  const int p = get_global_id(0);
  const int m0 = get_global_id(1) * 8;
  const int n = get_global_id(2);
  if (p >= OH * OW) return;
  const int oh = p / OW, ow = p - oh * OW;
  const int cg = C / groups, g = m0 / (M / groups);
  const int wstride = cg * KH * KW;
  const global real* wp = w + w_off + m0 * wstride;
  const global real* xp = x + x_off + (n * C + g * cg) * H * W;
  const int ih0 = oh * SH - PT, iw0 = ow * SW - PL;
  float acc[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) acc[i] = has_bias ? LD(bias, b_off + m0 + i) : 0.0f;
  for (int c = 0; c < cg; ++c) {
    const global real* xc = xp + c * H * W;
    const global real* wc = wp + c * KH * KW;
    // Branch-free taps (clamped address, zeroed value) keep neighbouring
    // work-items in lockstep, which PoCL needs to vectorise across them.
    for (int kh = 0; kh < KH; ++kh) {
      const int ih = ih0 + kh * DH;
      const bool row_ok = ih >= 0 && ih < H;
      const int ihc = clamp(ih, 0, H - 1);
      for (int kw = 0; kw < KW; ++kw) {
        const int iw = iw0 + kw * DW;
        const bool ok = row_ok && iw >= 0 && iw < W;
        const float xv = ok ? LD(xc, ihc * W + clamp(iw, 0, W - 1)) : 0.0f;
        const int wk = kh * KW + kw;
#pragma unroll
        for (int i = 0; i < 8; ++i) acc[i] += xv * LD(wc, i * wstride + wk);
      }
    }
  }
  global real* yp = y + y_off + (n * M + m0) * OH * OW + p;
#pragma unroll
  for (int i = 0; i < 8; ++i) ST(yp, i * OH * OW, fmin(fmax(acc[i], lo), hi));
}
