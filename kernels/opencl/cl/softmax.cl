// Softmax along one axis of a tensor viewed as [outer, axis, inner]; one
// work-item per (outer, inner) pair, max-subtracted for stability.
kernel void softmax(global const real* x, int x_off, global real* y, int y_off, int outer,
                    int axis, int inner) {
  const int r = get_global_id(0);
  if (r >= outer * inner) return;
  const int o = r / inner, in = r - o * inner;
  const int base = o * axis * inner + in;
  float mx = -INFINITY;
  for (int a = 0; a < axis; ++a) mx = fmax(mx, LD(x, x_off + base + a * inner));
  float sum = 0.0f;
  for (int a = 0; a < axis; ++a) sum += exp(LD(x, x_off + base + a * inner) - mx);
  const float inv = 1.0f / sum;
  for (int a = 0; a < axis; ++a)
    ST(y, y_off + base + a * inner, (exp(LD(x, x_off + base + a * inner) - mx) * inv));
}
