// Unary activations. op: 0 clamp(lo,hi) (Relu, Clip, Identity), 1 sigmoid,
// 2 hard sigmoid (alpha*x+beta, clamped to [0,1]), 3 hard swish, 4 tanh, 5 leaky relu, 6 erf,
// 7 sqrt, 8 gelu (erf form), 9 gelu (tanh form).
kernel void unary(global const real* x, int x_off, global real* y, int y_off, int total, int op,
                  float alpha, float beta, float lo, float hi) {
  const int i = get_global_id(0);
  if (i >= total) return;
  const float v = LD(x, x_off + i);
  float r;
  switch (op) {
    case 0: r = fmin(fmax(v, lo), hi); break;
    case 1: r = 1.0f / (1.0f + exp(-v)); break;
    case 2: r = fmin(fmax(alpha * v + beta, 0.0f), 1.0f); break;
    case 3: r = v * fmin(fmax(v / 6.0f + 0.5f, 0.0f), 1.0f); break;
    case 4: r = tanh(v); break;
    case 6: r = erf(v); break;
    case 7: r = sqrt(v); break;
    case 8: r = 0.5f * v * (1.0f + erf(v * 0.70710678f)); break;
    case 9: r = 0.5f * v * (1.0f + tanh(0.79788456f * (v + 0.044715f * v * v * v))); break;
    default: r = v >= 0.0f ? v : alpha * v; break;
  }
  ST(y, y_off + i, r);
}

// BatchNormalization folded on the host to y = x * scale[c] + shift[c].
kernel void channel_affine(global const real* x, int x_off, global real* y, int y_off, int total,
                           int inner, int channels, global const real* scale, int s_off,
                           global const real* shift, int t_off) {
  const int i = get_global_id(0);
  if (i >= total) return;
  const int c = (i / inner) % channels;
  ST(y, y_off + i, (LD(x, x_off + i) * LD(scale, s_off + c) + LD(shift, t_off + c)));
}
