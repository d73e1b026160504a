// Stride-1 convolution as an implicit GEMM with explicit vectors, for PoCL's
// CPU device (LLVM maps float16 onto AVX-512/AVX2 registers) and GPUs alike.
// The input is zero-padded once per run into a "wide" plane of Hp x Wp, so the
// output computed at wide index q = oh * Wp + ow reads input q + kh * Wp + kw:
// VW consecutive outputs read VW consecutive inputs, one vector load per tap.
// Lanes with ow >= OW are computed and dropped. Each work-item computes
// RB = 8 output channels x VW wide outputs (8 vector accumulators); weights are
// reordered at compile time to [M / 8][C * KH * KW][8], one vload8 per tap.
#define VW 16
#ifdef TANDEM_FP16
#define LDV(p, o) vload_half16(0, (p) + (o))
#define LD8(p, o) vload_half8(0, (p) + (o))
#else
#define LDV(p, o) vload16(0, (p) + (o))
#define LD8(p, o) vload8(0, (p) + (o))
#endif

// Copies each H x W plane of x into the interior of its Hp x Wp plane of xp
// (borders stay zero: written once at compile time).
kernel void pad_planes(global const real* x, int x_off, global real* xp, int xp_off, int H, int W,
                       int Hp, int Wp, int PT, int PL) {
  const int p = get_global_id(0);
  const int plane = get_global_id(1);
  if (p >= H * W) return;
  const int h = p / W, w = p - h * W;
  ST(xp, xp_off + plane * Hp * Wp + (h + PT) * Wp + w + PL, LD(x, x_off + plane * H * W + p));
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

kernel void conv_igemm_m8(global const real* x, int x_off, int plane, int limit, int Wp,
                          global const real* w, global const real* bias, global real* y,
                          int y_off, int C, int KH, int KW, int M, int OH, int OW, float lo,
                          float hi) {
  const int q0 = get_global_id(0) * VW;
  const int mb = get_global_id(1);
  const int n = get_global_id(2);
  const global real* xn = x + x_off + n * C * plane + q0;
  const global real* wb = w + mb * C * KH * KW * 8;
  float16 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  if (q0 + VW + (KH - 1) * Wp + KW - 1 <= limit) {
    for (int c = 0; c < C; ++c) {
      const global real* xc = xn + c * plane;
      for (int kh = 0; kh < KH; ++kh)
        for (int kw = 0; kw < KW; ++kw) TAP(LDV(xc, kh * Wp + kw))
    }
  } else {
    for (int c = 0; c < C; ++c) {
      const global real* xc = x + x_off + (n * C + c) * plane;
      for (int kh = 0; kh < KH; ++kh)
        for (int kw = 0; kw < KW; ++kw) TAP(load_clamped(xc, q0 + kh * Wp + kw, limit))
    }
  }
  const float8 b = LD8(bias, mb * 8);
  const int base = y_off + (n * M + mb * 8) * OH * OW;
  store_lanes(y, base, a0, b.s0, lo, hi, q0, Wp, OH, OW);
  store_lanes(y, base + OH * OW, a1, b.s1, lo, hi, q0, Wp, OH, OW);
  store_lanes(y, base + 2 * OH * OW, a2, b.s2, lo, hi, q0, Wp, OH, OW);
  store_lanes(y, base + 3 * OH * OW, a3, b.s3, lo, hi, q0, Wp, OH, OW);
  store_lanes(y, base + 4 * OH * OW, a4, b.s4, lo, hi, q0, Wp, OH, OW);
  store_lanes(y, base + 5 * OH * OW, a5, b.s5, lo, hi, q0, Wp, OH, OW);
  store_lanes(y, base + 6 * OH * OW, a6, b.s6, lo, hi, q0, Wp, OH, OW);
  store_lanes(y, base + 7 * OH * OW, a7, b.s7, lo, hi, q0, Wp, OH, OW);
}
