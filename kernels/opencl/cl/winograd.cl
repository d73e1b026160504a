// Winograd F(2x2, 3x3) around the implicit-GEMM kernel: the input transform
// writes V[xi][c][t] = (B^T d B)[xi] of every 4x4 tile t of the zero-padded
// input (pad_phases, stride 1), conv_igemm_m8x2 multiplies the 16 matrices
// U[xi] (M x C) V[xi] (C x T), and the output transform writes A^T m A + bias.
// 2.25x fewer multiplications than the direct 3x3 convolution.

// (tile t of TW per row, channel c): 16 values, stride CT between xi planes.
kernel void wino_f23_input(global const real* xp, int xp_off, int Hs, int Ws, int TH, int TW,
                           int C, global real* v) {
  const int t = get_global_id(0), c = get_global_id(1);
  if (t >= TH * TW) return;
  const int th = t / TW, tw = t - th * TW;
  const global real* src = xp + xp_off + (c * Hs + 2 * th) * Ws + 2 * tw;
  float d[4][4];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) d[i][j] = LD(src, i * Ws + j);
  float r[4][4];  // B^T d: rows
  for (int j = 0; j < 4; ++j) {
    r[0][j] = d[0][j] - d[2][j];
    r[1][j] = d[1][j] + d[2][j];
    r[2][j] = d[2][j] - d[1][j];
    r[3][j] = d[1][j] - d[3][j];
  }
  const int CT = C * TH * TW;
  global real* dst = v + c * TH * TW + t;
  for (int i = 0; i < 4; ++i) {  // (B^T d) B: columns
    ST(dst, (i * 4 + 0) * CT, r[i][0] - r[i][2]);
    ST(dst, (i * 4 + 1) * CT, r[i][1] + r[i][2]);
    ST(dst, (i * 4 + 2) * CT, r[i][2] - r[i][1]);
    ST(dst, (i * 4 + 3) * CT, r[i][1] - r[i][3]);
  }
}

// (tile t, output channel m): y[m][2 th + i][2 tw + j] = act((A^T p A)[i][j] + bias[m]).
kernel void wino_f23_output(global const real* p, int M, int TH, int TW, global const real* bias,
                            global real* y, int y_off, int OH, int OW, float lo, float hi) {
  const int t = get_global_id(0), m = get_global_id(1);
  if (t >= TH * TW) return;
  const int th = t / TW, tw = t - th * TW;
  const int MT = M * TH * TW;
  const global real* src = p + m * TH * TW + t;
  float q[4][4];
  for (int k = 0; k < 16; ++k) q[k / 4][k % 4] = LD(src, k * MT);
  float r[2][4];  // A^T q
  for (int j = 0; j < 4; ++j) {
    r[0][j] = q[0][j] + q[1][j] + q[2][j];
    r[1][j] = q[1][j] - q[2][j] - q[3][j];
  }
  const float b = LD(bias, m);
  global real* dst = y + y_off + m * OH * OW;
  for (int i = 0; i < 2; ++i) {
    const int oh = 2 * th + i;
    if (oh >= OH) break;
    const float o0 = r[i][0] + r[i][1] + r[i][2], o1 = r[i][1] - r[i][2] - r[i][3];
    ST(dst, oh * OW + 2 * tw, fmin(fmax(o0 + b, lo), hi));
    if (2 * tw + 1 < OW) ST(dst, oh * OW + 2 * tw + 1, fmin(fmax(o1 + b, lo), hi));
  }
}

#ifdef TANDEM_FP16
#define WLDV(p, o) vload_half16(0, (p) + (o))
#define WSTV(v, p, o) vstore_half16((v), 0, (p) + (o))
#else
#define WLDV(p, o) vload16(0, (p) + (o))
#define WSTV(v, p, o) vstore16((v), 0, (p) + (o))
#endif

// The input transform for 16 consecutive tiles of a tile row per work-item:
// (tile-row chunk, tile row, channel); columns 2 tw + j come from two vector
// loads split into even and odd lanes, and each xi plane gets one 16-wide store.
// Needs TW % 16 == 0 rows in V (TWp) and Ws >= 2 * TWp + 2 (both padded).
kernel void wino_f23_input_v16(global const real* xp, int xp_off, int Hs, int Ws, int TH, int TWp,
                               int C, global real* v) {
  const int tw0 = get_global_id(0) * 16, th = get_global_id(1), c = get_global_id(2);
  const global real* src = xp + xp_off + (c * Hs + 2 * th) * Ws + 2 * tw0;
  float16 d[4][4];
  for (int i = 0; i < 4; ++i) {
    const float16 a = WLDV(src, i * Ws), b = WLDV(src, i * Ws + 16);
    const float16 a2 = WLDV(src, i * Ws + 2), b2 = WLDV(src, i * Ws + 18);
    d[i][0] = (float16)(a.even, b.even);
    d[i][1] = (float16)(a.odd, b.odd);
    d[i][2] = (float16)(a2.even, b2.even);
    d[i][3] = (float16)(a2.odd, b2.odd);
  }
  float16 r[4][4];
  for (int j = 0; j < 4; ++j) {
    r[0][j] = d[0][j] - d[2][j];
    r[1][j] = d[1][j] + d[2][j];
    r[2][j] = d[2][j] - d[1][j];
    r[3][j] = d[1][j] - d[3][j];
  }
  const int T = TH * TWp, CT = C * T;
  global real* dst = v + c * T + th * TWp + tw0;
  for (int i = 0; i < 4; ++i) {
    WSTV(r[i][0] - r[i][2], dst, (i * 4 + 0) * CT);
    WSTV(r[i][1] + r[i][2], dst, (i * 4 + 1) * CT);
    WSTV(r[i][2] - r[i][1], dst, (i * 4 + 2) * CT);
    WSTV(r[i][1] - r[i][3], dst, (i * 4 + 3) * CT);
  }
}

// The output transform for 16 consecutive tiles of a tile row: (chunk, tile row, m).
kernel void wino_f23_output_v16(global const real* p, int M, int TH, int TWp,
                                global const real* bias, global real* y, int y_off, int OH,
                                int OW, float lo, float hi) {
  const int tw0 = get_global_id(0) * 16, th = get_global_id(1), m = get_global_id(2);
  const int T = TH * TWp, MT = M * T;
  const global real* src = p + m * T + th * TWp + tw0;
  float16 q[4][4];
  for (int k = 0; k < 16; ++k) q[k / 4][k % 4] = WLDV(src, k * MT);
  const float b = LD(bias, m);
  global real* dst = y + y_off + m * OH * OW;
  for (int i = 0; i < 2; ++i) {
    const int oh = 2 * th + i;
    if (oh >= OH) break;
    float16 r0, r1, r2, r3;
    if (i == 0) {
      r0 = q[0][0] + q[1][0] + q[2][0];
      r1 = q[0][1] + q[1][1] + q[2][1];
      r2 = q[0][2] + q[1][2] + q[2][2];
      r3 = q[0][3] + q[1][3] + q[2][3];
    } else {
      r0 = q[1][0] - q[2][0] - q[3][0];
      r1 = q[1][1] - q[2][1] - q[3][1];
      r2 = q[1][2] - q[2][2] - q[3][2];
      r3 = q[1][3] - q[2][3] - q[3][3];
    }
    const float16 o0 = fmin(fmax(r0 + r1 + r2 + b, lo), hi);
    const float16 o1 = fmin(fmax(r1 - r2 - r3 + b, lo), hi);
    float e[16], f[16];
    vstore16(o0, 0, e);
    vstore16(o1, 0, f);
    global real* row = dst + oh * OW;
    if (2 * (tw0 + 16) <= OW) {
      for (int j = 0; j < 16; ++j) {
        ST(row, 2 * (tw0 + j), e[j]);
        ST(row, 2 * (tw0 + j) + 1, f[j]);
      }
    } else {
      for (int j = 0; j < 16; ++j) {
        const int ow = 2 * (tw0 + j);
        if (ow < OW) ST(row, ow, e[j]);
        if (ow + 1 < OW) ST(row, ow + 1, f[j]);
      }
    }
  }
}
