// Gather along one axis with a constant index table: output element i is
// (outer o, index q, inner e) and reads x[(o * dim + idx[q]) * inner + e].
kernel void gather(global const real* x, int x_off, global real* y, int y_off, int total,
                   int count, int inner, int dim, global const int* idx) {
  const int i = get_global_id(0);
  if (i >= total) return;
  const int e = i % inner;
  const int r = i / inner;
  const int q = r % count;
  const int o = r / count;
  ST(y, y_off + i, LD(x, x_off + (o * dim + idx[q]) * inner + e));
}
