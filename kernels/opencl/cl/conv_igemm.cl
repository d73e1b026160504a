// Convolution as an implicit GEMM with explicit vectors, for PoCL's CPU device
// (LLVM maps float16 onto AVX-512/AVX2 registers) and GPUs alike.
// The input is zero-padded once per run and split into S x S stride phases,
// each a "wide" plane of Hs x Ws, so the output computed at wide index
// q = oh * Ws + ow reads, for tap (c, kh, kw), input q + off[tap] with
// off = plane of (c, kh % S, kw % S) + (kh / S) * Ws + kw / S: VW consecutive
// outputs read VW consecutive inputs, one vector load per tap (any stride,
// kernel size or dilation; the tap table is built at compile time). Lanes with
// ow >= OW are computed and dropped. Each work-item computes 8 output channels
// x VW wide outputs (8 vector accumulators); weights are reordered at compile
// time to [M / 8][C * KH * KW][8], one vload8 per tap.
#define VW 16
#ifdef TANDEM_FP16
#define LDV(p, o) vload_half16(0, (p) + (o))
#define LD8(p, o) vload_half8(0, (p) + (o))
#else
#define LDV(p, o) vload16(0, (p) + (o))
#define LD8(p, o) vload8(0, (p) + (o))
#endif

// Copies each H x W plane of x, padded by (PT, PL), into its S x S phase
// planes of Hs x Ws in xp (borders stay zero: written once at compile time).
kernel void pad_phases(global const real* x, int x_off, global real* xp, int xp_off, int H, int W,
                       int Hs, int Ws, int PT, int PL, int S) {
  const int p = get_global_id(0);
  const int plane = get_global_id(1);
  if (p >= H * W) return;
  const int h = p / W + PT, w = p % W + PL;
  const int phase = (h % S) * S + w % S;
  ST(xp, xp_off + ((plane * S * S + phase) * Hs + h / S) * Ws + w / S,
     LD(x, x_off + plane * H * W + p));
}

// Loads VW inputs at o.. of a plane of `limit` readable elements, clamping the
// index (only lanes whose outputs are dropped read past the plane).
float16 load_clamped(const global real* p, int o, int limit) {
  float v[VW];
  for (int j = 0; j < VW; ++j) v[j] = LD(p, min(o + j, limit - 1));
  return vload16(0, v);
}

#define TAP(XV)                                         \
  {                                                     \
    const float16 xv = XV;                              \
    const float8 wv = LD8(wb, 0);                       \
    wb += 8;                                            \
    a0 = fma((float16)wv.s0, xv, a0);                   \
    a1 = fma((float16)wv.s1, xv, a1);                   \
    a2 = fma((float16)wv.s2, xv, a2);                   \
    a3 = fma((float16)wv.s3, xv, a3);                   \
    a4 = fma((float16)wv.s4, xv, a4);                   \
    a5 = fma((float16)wv.s5, xv, a5);                   \
    a6 = fma((float16)wv.s6, xv, a6);                   \
    a7 = fma((float16)wv.s7, xv, a7);                   \
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

inline void igemm_m8(int q0, int mb, int n, global const real* x, int x_off, int batch_stride,
                     int limit, int reach, global const int* off, int K, int Ws,
                     global const real* w, global const real* bias, global real* y, int y_off,
                     int M, int OH, int OW, float lo, float hi) {
  const global real* xn = x + x_off + n * batch_stride;
  const global real* wb = w + mb * K * 8;
  float16 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  if (q0 + VW + reach <= limit) {
    const global real* xq = xn + q0;
    for (int t = 0; t < K; ++t) TAP(LDV(xq, off[t]))
  } else {  // the last tiles of an unpadded input: clamp what dropped lanes read
    for (int t = 0; t < K; ++t) TAP(load_clamped(xn, q0 + off[t], limit))
  }
  const float8 b = LD8(bias, mb * 8);
  const int base = y_off + (n * M + mb * 8) * OH * OW;
  store_lanes(y, base, a0, b.s0, lo, hi, q0, Ws, OH, OW);
  store_lanes(y, base + OH * OW, a1, b.s1, lo, hi, q0, Ws, OH, OW);
  store_lanes(y, base + 2 * OH * OW, a2, b.s2, lo, hi, q0, Ws, OH, OW);
  store_lanes(y, base + 3 * OH * OW, a3, b.s3, lo, hi, q0, Ws, OH, OW);
  store_lanes(y, base + 4 * OH * OW, a4, b.s4, lo, hi, q0, Ws, OH, OW);
  store_lanes(y, base + 5 * OH * OW, a5, b.s5, lo, hi, q0, Ws, OH, OW);
  store_lanes(y, base + 6 * OH * OW, a6, b.s6, lo, hi, q0, Ws, OH, OW);
  store_lanes(y, base + 7 * OH * OW, a7, b.s7, lo, hi, q0, Ws, OH, OW);
}

#define IGEMM_ARGS                                                                       \
  global const real *x, int x_off, int batch_stride, int limit, int reach,               \
      global const int *off, int K, int Ws, global const real *w, global const real *bias, \
      global real *y, int y_off, int M, int OH, int OW, float lo, float hi
#define IGEMM_PASS \
  x, x_off, batch_stride, limit, reach, off, K, Ws, w, bias, y, y_off, M, OH, OW, lo, hi

// Work-items along pixels first: one block of weights stays hot while the input streams.
kernel void conv_igemm_m8(IGEMM_ARGS) {
  igemm_m8(get_global_id(0) * VW, get_global_id(1), get_global_id(2), IGEMM_PASS);
}
// Along output-channel blocks first: one input window stays hot while the weights stream.
kernel void conv_igemm_m8_mfirst(IGEMM_ARGS) {
  igemm_m8(get_global_id(1) * VW, get_global_id(0), get_global_id(2), IGEMM_PASS);
}
