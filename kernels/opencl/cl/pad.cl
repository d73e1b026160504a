// Pad of up to 4 dims (leading 1s). mode: 0 constant, 1 reflect, 2 edge.
// o*: output dims, n*: input dims, p*: pads before each dim.
int pad_index(int i, int n, int mode) {
  if (mode == 1) {
    if (i < 0) i = -i;
    if (i >= n) i = 2 * n - 2 - i;
    return i;
  }
  return clamp(i, 0, n - 1);
}

kernel void pad(global const real* x, int x_off, global real* y, int y_off, int total, int o1,
                int o2, int o3, int n0, int n1, int n2, int n3, int p0, int p1, int p2, int p3,
                int mode, float value) {
  const int i = get_global_id(0);
  if (i >= total) return;
  int t = i;
  int i3 = t % o3 - p3; t /= o3;
  int i2 = t % o2 - p2; t /= o2;
  int i1 = t % o1 - p1;
  int i0 = t / o1 - p0;
  const bool inside = i0 >= 0 && i0 < n0 && i1 >= 0 && i1 < n1 && i2 >= 0 && i2 < n2 && i3 >= 0 &&
                      i3 < n3;
  if (mode == 0 && !inside) {
    ST(y, y_off + i, value);
    return;
  }
  i0 = pad_index(i0, n0, mode);
  i1 = pad_index(i1, n1, mode);
  i2 = pad_index(i2, n2, mode);
  i3 = pad_index(i3, n3, mode);
  ST(y, y_off + i, LD(x, x_off + ((i0 * n1 + i1) * n2 + i2) * n3 + i3));
}
