// Transpose of up to 6 dims (channel shuffle is Reshape + Transpose + Reshape):
// output dims d0..d5 (leading 1s), s0..s5 the input stride of each output dim.
kernel void transpose(global const real* x, int x_off, global real* y, int y_off, int total,
                      int d1, int d2, int d3, int d4, int d5, int s0, int s1, int s2, int s3,
                      int s4, int s5) {
  const int i = get_global_id(0);
  if (i >= total) return;
  int t = i;
  const int i5 = t % d5; t /= d5;
  const int i4 = t % d4; t /= d4;
  const int i3 = t % d3; t /= d3;
  const int i2 = t % d2; t /= d2;
  const int i1 = t % d1;
  const int i0 = t / d1;
  ST(y, y_off + i, LD(x, x_off + i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3 + i4 * s4 + i5 * s5));
}
