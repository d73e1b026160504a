// Max and average pooling, NCHW. One work-item per output pixel x channel x batch.
// Windows are clipped to the input (max) or to the padded input (average with
// count_include_pad), matching ONNX/PyTorch divisors.
kernel void maxpool2d(global const real* x, int x_off, global real* y, int y_off, int C, int H,
                      int W, int OH, int OW, int KH, int KW, int SH, int SW, int DH, int DW, int PT,
                      int PL) {
  const int p = get_global_id(0), c = get_global_id(1), n = get_global_id(2);
  if (p >= OH * OW) return;
  const int oh = p / OW, ow = p - oh * OW;
  const global real* xc = x + x_off + (n * C + c) * H * W;
  float best = -INFINITY;
  for (int kh = 0; kh < KH; ++kh) {
    const int ih = oh * SH - PT + kh * DH;
    if (ih < 0 || ih >= H) continue;
    for (int kw = 0; kw < KW; ++kw) {
      const int iw = ow * SW - PL + kw * DW;
      if (iw >= 0 && iw < W) best = fmax(best, LD(xc, ih * W + iw));
    }
  }
  ST(y, y_off + (n * C + c) * OH * OW + p, best);
}

kernel void avgpool2d(global const real* x, int x_off, global real* y, int y_off, int C, int H,
                      int W, int OH, int OW, int KH, int KW, int SH, int SW, int PT, int PL, int PB,
                      int PR, int count_include_pad) {
  const int p = get_global_id(0), c = get_global_id(1), n = get_global_id(2);
  if (p >= OH * OW) return;
  const int oh = p / OW, ow = p - oh * OW;
  const global real* xc = x + x_off + (n * C + c) * H * W;
  const int hs = oh * SH - PT, ws = ow * SW - PL;
  const int he = min(hs + KH, H + PB), we = min(ws + KW, W + PR);
  const int pool = (he - hs) * (we - ws);
  const int h0 = max(hs, 0), w0 = max(ws, 0), h1 = min(he, H), w1 = min(we, W);
  float sum = 0.0f;
  for (int ih = h0; ih < h1; ++ih)
    for (int iw = w0; iw < w1; ++iw) sum += LD(xc, ih * W + iw);
  const int count = count_include_pad ? pool : (h1 - h0) * (w1 - w0);
  ST(y, y_off + (n * C + c) * OH * OW + p, (count > 0 ? sum / (float)count : 0.0f));
}
