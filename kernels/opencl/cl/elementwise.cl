// Binary elementwise ops with numpy broadcasting over up to 4 dims (broadcast
// dims have stride 0) and a fused clamp. op: 0 add, 1 sub, 2 mul, 3 div, 4 pow (an
// exponent of exactly 2 is the exact square, as in the reference).
kernel void binary(global const real* a, int a_off, int as0, int as1, int as2, int as3,
                   global const real* b, int b_off, int bs0, int bs1, int bs2, int bs3,
                   global real* y, int y_off, int d1, int d2, int d3, int total, int op, float lo,
                   float hi) {
  const int i = get_global_id(0);
  if (i >= total) return;
  const int i3 = i % d3;
  int t = i / d3;
  const int i2 = t % d2;
  t /= d2;
  const int i1 = t % d1, i0 = t / d1;
  const float va = LD(a, a_off + i0 * as0 + i1 * as1 + i2 * as2 + i3 * as3);
  const float vb = LD(b, b_off + i0 * bs0 + i1 * bs1 + i2 * bs2 + i3 * bs3);
  float v;
  switch (op) {
    case 0: v = va + vb; break;
    case 1: v = va - vb; break;
    case 2: v = va * vb; break;
    case 4: v = vb == 2.0f ? va * va : pow(va, vb); break;
    default: v = va / vb; break;
  }
  ST(y, y_off + i, fmin(fmax(v, lo), hi));
}
