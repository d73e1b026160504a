// Depthwise 3x3 convolution (groups == C == M), NCHW, any stride/dilation/pad,
// fused bias and clamp. One work-item per output pixel x channel x batch.
kernel void depthwise3x3(global const real* x, int x_off, global const real* w, int w_off,
                         global const real* bias, int b_off, int has_bias, global real* y,
                         int y_off, int C, int H, int W, int OH, int OW, int SH, int SW, int DH,
                         int DW, int PT, int PL, float lo, float hi) {
  const int p = get_global_id(0);
  const int c = get_global_id(1);
  const int n = get_global_id(2);
  if (p >= OH * OW) return;
  const int oh = p / OW, ow = p - oh * OW;
  const global real* xc = x + x_off + (n * C + c) * H * W;
  const global real* wc = w + w_off + c * 9;
  const int ih0 = oh * SH - PT, iw0 = ow * SW - PL;
  float acc = has_bias ? LD(bias, b_off + c) : 0.0f;
#pragma unroll
  for (int kh = 0; kh < 3; ++kh) {
    const int ih = ih0 + kh * DH;
    if (ih < 0 || ih >= H) continue;
#pragma unroll
    for (int kw = 0; kw < 3; ++kw) {
      const int iw = iw0 + kw * DW;
      if (iw >= 0 && iw < W) acc += LD(xc, ih * W + iw) * LD(wc, kh * 3 + kw);
    }
  }
  ST(y, y_off + (n * C + c) * OH * OW + p, fmin(fmax(acc, lo), hi));
}
