// Included by test_cpu_simd.cc once per SIMD level, inside that level's target
// pragma and namespace, after `using S = ...;`: runs each member of the layer on
// fixed inputs and writes the results out (the checks run outside the target
// region, so no doctest code is compiled for a level the CPU may lack).

// out[0..kLanes): load_tail(x, n) stored whole; out2: store_tail of fmadd onto a
// sentinel buffer; misc: reduce_add, round and scale2 lanes, min/max/clamp.
inline void exercise(const float* x, int64_t n, float* out, float* out2, float* misc) {
  S::storeu(out, S::load_tail(x, n));
  const S::V y = S::fmadd(S::loadu(x), S::set1(2.0f), S::broadcast(x + 1));  // 2x + x[1]
  S::store_tail(out2, n, y);
  misc[0] = S::reduce_add(S::loadu(x));
  float lanes[16];
  S::storeu(lanes, S::round(S::set1(2.5f)));  // to even: 2
  misc[1] = lanes[0];
  S::storeu(lanes, S::scale2(S::set1(1.5f), S::set1(-3.0f)));  // 1.5 / 8
  misc[2] = lanes[S::kLanes - 1];
  S::storeu(lanes, S::clamp(S::loadu(x), S::set1(2.0f), S::set1(5.0f)));
  misc[3] = lanes[0], misc[4] = lanes[S::kLanes - 1];
  S::storeu(lanes, S::fnmadd(S::set1(3.0f), S::set1(2.0f), S::set1(10.0f)));  // 10 - 6
  misc[5] = lanes[1];
  misc[6] = S::full(S::mask(S::kLanes)) && !S::full(S::mask(S::kLanes - 1)) ? 1.0f : 0.0f;
  misc[7] = float(S::kLanes);
}
