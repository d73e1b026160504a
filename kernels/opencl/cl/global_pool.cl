// Reductions over the contiguous trailing `inner` elements of each of `outer`
// rows: GlobalAveragePool / GlobalMaxPool (inner = H*W) and ReduceMean over
// trailing axes. One work-item per row.
kernel void global_avg(global const real* x, int x_off, global real* y, int y_off, int outer,
                       int inner) {
  const int r = get_global_id(0);
  if (r >= outer) return;
  const global real* xr = x + x_off + r * inner;
  float sum = 0.0f;
  for (int i = 0; i < inner; ++i) sum += LD(xr, i);
  ST(y, y_off + r, (sum / (float)inner));
}

kernel void global_max(global const real* x, int x_off, global real* y, int y_off, int outer,
                       int inner) {
  const int r = get_global_id(0);
  if (r >= outer) return;
  const global real* xr = x + x_off + r * inner;
  float best = -INFINITY;
  for (int i = 0; i < inner; ++i) best = fmax(best, LD(xr, i));
  ST(y, y_off + r, best);
}
