// Vectorised fast paths of common ops (16 elements or outputs per work-item,
// so PoCL's CPU device runs them as AVX registers instead of one work-item per
// element): same-shape binary elementwise, row-tiled max pooling, and the
// batch-1 fully connected product with contiguous rows.
#ifdef TANDEM_FP16
#define LDV16(p, o) vload_half16(0, (p) + (o))
#define STV16(v, p, o) vstore_half16((v), 0, (p) + (o))
#else
#define LDV16(p, o) vload16(0, (p) + (o))
#define STV16(v, p, o) vstore16((v), 0, (p) + (o))
#endif

#define BINARY_V16(NAME, EXPR)                                                           \
  kernel void NAME(global const real* a, int a_off, global const real* b, int b_off,      \
                   global real* y, int y_off, int total, float lo, float hi) {            \
    const int i = get_global_id(0) * 16;                                                 \
    if (i + 16 <= total) {                                                               \
      const float16 va = LDV16(a, a_off + i), vb = LDV16(b, b_off + i);                  \
      STV16(fmin(fmax(EXPR, lo), hi), y, y_off + i);                                     \
      return;                                                                            \
    }                                                                                    \
    for (int j = i; j < total; ++j) {                                                    \
      const float va = LD(a, a_off + j), vb = LD(b, b_off + j);                          \
      ST(y, y_off + j, fmin(fmax(EXPR, lo), hi));                                        \
    }                                                                                    \
  }
BINARY_V16(add_v16, va + vb)
BINARY_V16(sub_v16, va - vb)
BINARY_V16(mul_v16, va * vb)
BINARY_V16(div_v16, va / vb)

// 16 consecutive outputs of one row per work-item: (ow tile, oh, n * C + c).
kernel void maxpool2d_row16(global const real* x, int x_off, global real* y, int y_off, int H,
                            int W, int OH, int OW, int KH, int KW, int SH, int SW, int DH, int DW,
                            int PT, int PL) {
  const int ow0 = get_global_id(0) * 16, oh = get_global_id(1), plane = get_global_id(2);
  const global real* xc = x + x_off + plane * H * W;
  float best[16];
  for (int j = 0; j < 16; ++j) best[j] = -INFINITY;
  for (int kh = 0; kh < KH; ++kh) {
    const int ih = oh * SH - PT + kh * DH;
    if (ih < 0 || ih >= H) continue;
    const global real* row = xc + ih * W;
    for (int kw = 0; kw < KW; ++kw)
      for (int j = 0; j < 16; ++j) {
        const int iw = (ow0 + j) * SW - PL + kw * DW;
        const float v = LD(row, clamp(iw, 0, W - 1));
        best[j] = (iw >= 0 && iw < W) ? fmax(best[j], v) : best[j];
      }
  }
  global real* yr = y + y_off + (plane * OH + oh) * OW;
  for (int j = 0; j < 16; ++j)
    if (ow0 + j < OW) ST(yr, ow0 + j, best[j]);
}

// y[n] = act(alpha * sum_k a[k] b[n * K + k] + beta * c[n]): contiguous rows of
// B (Gemm with transB, the usual FC layout), 16-wide partial sums per row.
kernel void gemv_rows_v16(int N, int K, global const real* a, int a_off, global const real* b,
                          int b_off, global const real* c, int c_off, int c_sn, int has_c,
                          float alpha, float beta, global real* y, int y_off, float lo,
                          float hi) {
  const int n = get_global_id(0);
  if (n >= N) return;
  const global real* bn = b + b_off + n * K;
  const global real* an = a + a_off;
  float16 acc = 0;
  int k = 0;
  for (; k + 16 <= K; k += 16) acc = fma(LDV16(an, k), LDV16(bn, k), acc);
  float s = 0.0f;
  for (; k < K; ++k) s += LD(an, k) * LD(bn, k);
  const float8 h8 = acc.lo + acc.hi;
  const float4 h4 = h8.lo + h8.hi;
  s += h4.x + h4.y + h4.z + h4.w;
  float v = alpha * s;
  if (has_c) v += beta * LD(c, c_off + n * c_sn);
  ST(y, y_off + n, fmin(fmax(v, lo), hi));
}
