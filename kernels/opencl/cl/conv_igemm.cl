// Convolution as an implicit GEMM with explicit vectors, for PoCL's CPU device
// (LLVM maps float16 onto AVX-512/AVX2 registers) and GPUs alike.
// The input is zero-padded once per run and split into S x S stride phases,
// each a "wide" plane of Hs x Ws, so the output computed at wide index
// q = oh * Ws + ow reads, for tap (c, kh, kw), input q + off[tap] with
// off = plane of (c, kh % S, kw % S) + (kh / S) * Ws + kw / S: VW consecutive
// outputs read VW consecutive inputs, one vector load per tap (any stride,
// kernel size or dilation; the tap table is built at compile time). Lanes with
// ow >= OW are computed and dropped. Each work-item computes 8 output channels
// x 2 * VW wide outputs (16 vector accumulators); weights are reordered at
// compile time to [M / 8][C * KH * KW][8], 8 consecutive scalars per tap.
#define VW 16
#ifdef TANDEM_FP16
#define LDV(p, o) vload_half16(0, (p) + (o))
#define STV(v, p, o) vstore_half16((v), 0, (p) + (o))
#define LD8(p, o) vload_half8(0, (p) + (o))
#else
#define LDV(p, o) vload16(0, (p) + (o))
#define STV(v, p, o) vstore16((v), 0, (p) + (o))
#define LD8(p, o) vload8(0, (p) + (o))
#endif

// Copies each H x W plane of x, padded by (PT, PL), into its S x S phase
// planes of Hs x Ws in xp (borders stay zero: written once at compile time).
// A work-item copies 16 consecutive elements of one row: (w chunk, h, plane).
kernel void pad_phases(global const real* x, int x_off, global real* xp, int xp_off, int H, int W,
                       int Hs, int Ws, int PT, int PL, int S) {
  const int w0 = get_global_id(0) * 16, h = get_global_id(1), plane = get_global_id(2);
  const global real* src = x + x_off + (plane * H + h) * W;
  const int hp = h + PT;
  global real* dst = xp + xp_off + ((plane * S * S + (hp % S) * S) * Hs + hp / S) * Ws;
  if (S == 1 && w0 + 16 <= W) {
    STV(LDV(src, w0), dst, w0 + PL);
    return;
  }
  for (int w = w0; w < min(w0 + 16, W); ++w) {
    const int wp = w + PL;
    ST(dst, (wp % S) * Hs * Ws + wp / S, LD(src, w));
  }
}

// Loads VW inputs at o.. of a plane of `limit` readable elements, clamping the
// index (only lanes whose outputs are dropped read past the plane).
float16 load_clamped(const global real* p, int o, int limit) {
  float v[VW];
  for (int j = 0; j < VW; ++j) v[j] = LD(p, min(o + j, limit - 1));
  return vload16(0, v);
}

void store_lanes(global real* y, int base, float16 acc, float bias, float lo, float hi, int q0,
                 int Wp, int OH, int OW) {
  acc = fmin(fmax(acc + bias, lo), hi);
  const int oh0 = q0 / Wp, ow0 = q0 - oh0 * Wp;
  if (oh0 < OH && ow0 + VW <= OW) {  // the whole vector in one output row
#ifdef TANDEM_FP16
    vstore_half16(acc, 0, y + base + oh0 * OW + ow0);
#else
    vstore16(acc, 0, y + base + oh0 * OW + ow0);
#endif
    return;
  }
  float v[VW];
  vstore16(acc, 0, v);
  for (int j = 0; j < VW; ++j) {
    const int q = q0 + j, oh = q / Wp, ow = q - oh * Wp;
    if (oh < OH && ow < OW) ST(y, base + oh * OW + ow, v[j]);
  }
}

#define IGEMM_ARGS                                                                       \
  global const real *x, int x_off, int batch_stride, int limit, int reach,               \
      global const int *off, int K, int Ws, global const real *w, int w_bstride,           \
      global const real *bias, global real *y, int y_off, int M, int OH, int OW, float lo, \
      float hi
#define IGEMM_PASS \
  x, x_off, batch_stride, limit, reach, off, K, Ws, w, w_bstride, bias, y, y_off, M, OH, OW, lo, hi

// Weights as scalar loads (broadcast straight from memory on x86: load ports,
// not the shuffle port that the FMA units share). Two vectors of outputs per
// tap: 16 accumulators, each weight feeds 2 FMAs.
#define TAP2(XV, XW)                        \
  {                                         \
    const float16 xv = XV, xw = XW;         \
    float16 wk = (float16)LD(wb, 0);        \
    a0 = fma(wk, xv, a0);                   \
    b0 = fma(wk, xw, b0);                   \
    wk = (float16)LD(wb, 1);                \
    a1 = fma(wk, xv, a1);                   \
    b1 = fma(wk, xw, b1);                   \
    wk = (float16)LD(wb, 2);                \
    a2 = fma(wk, xv, a2);                   \
    b2 = fma(wk, xw, b2);                   \
    wk = (float16)LD(wb, 3);                \
    a3 = fma(wk, xv, a3);                   \
    b3 = fma(wk, xw, b3);                   \
    wk = (float16)LD(wb, 4);                \
    a4 = fma(wk, xv, a4);                   \
    b4 = fma(wk, xw, b4);                   \
    wk = (float16)LD(wb, 5);                \
    a5 = fma(wk, xv, a5);                   \
    b5 = fma(wk, xw, b5);                   \
    wk = (float16)LD(wb, 6);                \
    a6 = fma(wk, xv, a6);                   \
    b6 = fma(wk, xw, b6);                   \
    wk = (float16)LD(wb, 7);                \
    a7 = fma(wk, xv, a7);                   \
    b7 = fma(wk, xw, b7);                   \
    wb += 8;                                \
  }

#define STORE8(A0, A1, A2, A3, A4, A5, A6, A7, Q)                                 \
  {                                                                               \
    store_lanes(y, base, A0, b.s0, lo, hi, Q, Ws, OH, OW);                        \
    store_lanes(y, base + OH * OW, A1, b.s1, lo, hi, Q, Ws, OH, OW);              \
    store_lanes(y, base + 2 * OH * OW, A2, b.s2, lo, hi, Q, Ws, OH, OW);          \
    store_lanes(y, base + 3 * OH * OW, A3, b.s3, lo, hi, Q, Ws, OH, OW);          \
    store_lanes(y, base + 4 * OH * OW, A4, b.s4, lo, hi, Q, Ws, OH, OW);          \
    store_lanes(y, base + 5 * OH * OW, A5, b.s5, lo, hi, Q, Ws, OH, OW);          \
    store_lanes(y, base + 6 * OH * OW, A6, b.s6, lo, hi, Q, Ws, OH, OW);          \
    store_lanes(y, base + 7 * OH * OW, A7, b.s7, lo, hi, Q, Ws, OH, OW);          \
  }

inline void igemm_m8x2(int q0, int mb, int n, IGEMM_ARGS) {
  const global real* xn = x + x_off + n * batch_stride;
  const global real* wb = w + n * w_bstride + mb * K * 8;  // per-batch weights: Winograd
  float16 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  float16 b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0;
  if (q0 + 2 * VW + reach <= limit) {
    const global real* xq = xn + q0;
    for (int t = 0; t < K; ++t) TAP2(LDV(xq, off[t]), LDV(xq, off[t] + VW))
  } else {
    for (int t = 0; t < K; ++t)
      TAP2(load_clamped(xn, q0 + off[t], limit), load_clamped(xn, q0 + VW + off[t], limit))
  }
  const float8 b = LD8(bias, mb * 8);
  const int base = y_off + (n * M + mb * 8) * OH * OW;
  STORE8(a0, a1, a2, a3, a4, a5, a6, a7, q0)
  STORE8(b0, b1, b2, b3, b4, b5, b6, b7, q0 + VW)
}

// Work-items along pixels first: one block of weights stays hot while the input streams.
kernel void conv_igemm_m8x2(IGEMM_ARGS) {
  igemm_m8x2(get_global_id(0) * 2 * VW, get_global_id(1), get_global_id(2), IGEMM_PASS);
}
// Along output-channel blocks first: one input window stays hot while the weights stream.
kernel void conv_igemm_m8x2_mfirst(IGEMM_ARGS) {
  igemm_m8x2(get_global_id(1) * 2 * VW, get_global_id(0), get_global_id(2), IGEMM_PASS);
}
