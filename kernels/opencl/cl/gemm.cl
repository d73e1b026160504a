// Y[b](m,n) = act(alpha * sum_k A[b](m,k) B[b](k,n) + beta * Cb(m,n)), every operand
// addressed through element strides so transposes and broadcasts need no copies.

#define TS 16
// Tiled through local memory: a 16x16 work-group computes a 16x16 block of Y.
kernel void gemm_tiled(int M, int N, int K, global const real* A, int a_off, int a_sm, int a_sk,
                       int a_sb, global const real* B, int b_off, int b_sk, int b_sn, int b_sb,
                       global const real* Cb, int c_off, int c_sm, int c_sn, int has_c,
                       float alpha, float beta, global real* Y, int y_off, int y_sm, int y_sb,
                       float lo, float hi) {
  local float As[TS][TS + 1];
  local float Bs[TS][TS + 1];
  const int ln = get_local_id(0), lm = get_local_id(1);
  const int n = get_group_id(0) * TS + ln;
  const int m = get_group_id(1) * TS + lm;
  const int b = get_global_id(2);
  const global real* Ab = A + a_off + b * a_sb;
  const global real* Bb = B + b_off + b * b_sb;
  float acc = 0.0f;
  for (int k0 = 0; k0 < K; k0 += TS) {
    const int ka = k0 + ln, kb = k0 + lm;
    As[lm][ln] = (m < M && ka < K) ? LD(Ab, m * a_sm + ka * a_sk) : 0.0f;
    Bs[lm][ln] = (kb < K && n < N) ? LD(Bb, kb * b_sk + n * b_sn) : 0.0f;
    barrier(CLK_LOCAL_MEM_FENCE);
#pragma unroll
    for (int kk = 0; kk < TS; ++kk) acc += As[lm][kk] * Bs[kk][ln];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (m < M && n < N) {
    float v = alpha * acc;
    if (has_c) v += beta * LD(Cb, c_off + m * c_sm + n * c_sn);
    ST(Y, y_off + b * y_sb + m * y_sm + n, fmin(fmax(v, lo), hi));
  }
}

// Register-blocked: each work-item computes 16 rows of one column of Y. Loads
// of B are contiguous across neighbouring work-items and loads of A are shared
// by them, which vectorises well on PoCL and coalesces on GPUs.
#define RM 16
kernel void gemm_rows16(int M, int N, int K, global const real* A, int a_off, int a_sm, int a_sk,
                       int a_sb, global const real* B, int b_off, int b_sk, int b_sn, int b_sb,
                       global const real* Cb, int c_off, int c_sm, int c_sn, int has_c,
                       float alpha, float beta, global real* Y, int y_off, int y_sm, int y_sb,
                       float lo, float hi) {
  const int n = get_global_id(0);
  const int m0 = get_global_id(1) * RM;
  const int b = get_global_id(2);
  if (n >= N || m0 >= M) return;
  const global real* Bn = B + b_off + b * b_sb + n * b_sn;
  const global real* Ab = A + a_off + b * a_sb;
  int rows[RM];
#pragma unroll
  for (int i = 0; i < RM; ++i) rows[i] = min(m0 + i, M - 1) * a_sm;
  float acc[RM];
#pragma unroll
  for (int i = 0; i < RM; ++i) acc[i] = 0.0f;
  for (int k = 0; k < K; ++k) {
    const float bk = LD(Bn, k * b_sk);
    const int ak = k * a_sk;
#pragma unroll
    for (int i = 0; i < RM; ++i) acc[i] += LD(Ab, rows[i] + ak) * bk;
  }
#pragma unroll
  for (int i = 0; i < RM; ++i) {
    const int m = m0 + i;
    if (m < M) {
      float v = alpha * acc[i];
      if (has_c) v += beta * LD(Cb, c_off + m * c_sm + n * c_sn);
      ST(Y, y_off + b * y_sb + m * y_sm + n, fmin(fmax(v, lo), hi));
    }
  }
}

// One row of Y (batch-1 fully connected): one work-item per output column.
kernel void gemv(int N, int K, global const real* A, int a_off, int a_sk, global const real* B,
                 int b_off, int b_sk, int b_sn, global const real* Cb, int c_off, int c_sn,
                 int has_c, float alpha, float beta, global real* Y, int y_off, float lo,
                 float hi) {
  const int n = get_global_id(0);
  if (n >= N) return;
  const global real* a = A + a_off;
  const global real* b = B + b_off + n * b_sn;
  float acc = 0.0f;
  for (int k = 0; k < K; ++k) acc += LD(a, k * a_sk) * LD(b, k * b_sk);
  float v = alpha * acc;
  if (has_c) v += beta * LD(Cb, c_off + n * c_sn);
  ST(Y, y_off + n, fmin(fmax(v, lo), hi));
}

// After a CLBlast GEMM: y = act(y + bias[(i / inner) % channels]).
kernel void bias_act(global real* y, int y_off, int total, global const real* bias, int b_off,
                     int has_bias, int inner, int channels, float lo, float hi) {
  const int i = get_global_id(0);
  if (i >= total) return;
  float v = LD(y, y_off + i);
  if (has_bias) v += LD(bias, b_off + (i / inner) % channels);
  ST(y, y_off + i, fmin(fmax(v, lo), hi));
}
