// LayerNormalization of a tensor viewed as [outer, norm, inner]: one work item
// per (outer, inner) slice of `norm` elements `inner` apart; two passes (mean,
// then the mean of squared deviations) as the exported decomposition computes.
kernel void layer_norm(global const real* x, int x_off, global real* y, int y_off, int outer,
                       int norm, int inner, global const real* scale, int s_off,
                       global const real* bias, int b_off, float eps) {
  const int r = get_global_id(0);
  if (r >= outer * inner) return;
  const int o = r / inner, in = r - o * inner;
  const int base = o * norm * inner + in;
  float sum = 0.0f;
  for (int k = 0; k < norm; ++k) sum += LD(x, x_off + base + k * inner);
  const float mean = sum / (float)norm;
  float sq = 0.0f;
  for (int k = 0; k < norm; ++k) {
    const float d = LD(x, x_off + base + k * inner) - mean;
    sq += d * d;
  }
  const float rstd = 1.0f / sqrt(sq / (float)norm + eps);
  for (int k = 0; k < norm; ++k) {
    const float v = (LD(x, x_off + base + k * inner) - mean) * rstd;
    ST(y, y_off + base + k * inner, v * LD(scale, s_off + k) + LD(bias, b_off + k));
  }
}
