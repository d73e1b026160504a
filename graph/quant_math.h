// The rounding rules of the 8-bit ops, written once (docs/int8.md): the
// reference kernels, the cpu kernels that must match them bit for bit, and
// pass_fuse_qdq (a fused Relu/Clip's bounds) use them.
// Float products are float32 in the order written; no fused multiply-add is
// intended (reference and cpu ops/ files are built without -mfma).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "graph/tensor.h"

namespace tandem::qmath {

// rne(f) + zp clamped to [lo, hi]; clamping first keeps the cast defined, and
// gives the same result as clamping after rounding (the bounds are integers).
// Rounding: adding and subtracting 1.5 * 2^23 rounds half to even (the default
// mode) exactly for |f| < 2^22 (here |f| <= 255); the same as std::nearbyint,
// without its libm call, so the loops vectorize.
inline int8_t round_to_int8(float f, int32_t zp, int32_t lo = -128, int32_t hi = 127) {
  if (f != f) f = 0.0f;
  f = std::min(std::max(f, float(lo - zp)), float(hi - zp));
  constexpr float kMagic = 12582912.0f;
  const float r = (f + kMagic) - kMagic;
  return static_cast<int8_t>(static_cast<int32_t>(r) + zp);
}

// QConv/QGemm/QGlobalAveragePool: int32 accumulator -> int8.
inline int8_t requantize(int32_t acc, float multiplier, int32_t zp, int32_t lo = -128,
                         int32_t hi = 127) {
  return round_to_int8(static_cast<float>(acc) * multiplier, zp, lo, hi);
}

// QuantizeLinear: ONNX divides by the scale.
inline int8_t quantize(float x, float scale, int32_t zp) {
  return round_to_int8(x / scale, zp);
}

inline float dequantize(int32_t q, float scale, int32_t zp) {
  return static_cast<float>(q - zp) * scale;
}

// Quantize(Dequantize(q)) from one quantization to another (QConcat, QMaxPool).
inline int8_t requantize_value(int8_t q, const Quantization& from, const Quantization& to) {
  return quantize(dequantize(q, from.scale[0], from.zero_point[0]), to.scale[0], to.zero_point[0]);
}

// The multiplier of output channel m: (sx * sw[m]) / sy.
inline float conv_multiplier(const Quantization& x, const Quantization& w, size_t m,
                             const Quantization& y) {
  const float sw = w.scale.size() == 1 ? w.scale[0] : w.scale[m];
  return (x.scale[0] * sw) / y.scale[0];
}

// QAdd: rne(float(a - za) * (sa / sy) + float(b - zb) * (sb / sy)) + zy.
struct AddFactors {
  float fa, fb;
  int32_t za, zb, zy;
};
inline AddFactors add_factors(const Quantization& a, const Quantization& b, const Quantization& y) {
  return {a.scale[0] / y.scale[0], b.scale[0] / y.scale[0], a.zero_point[0], b.zero_point[0],
          y.zero_point[0]};
}
inline int8_t add_values(int8_t a, int8_t b, const AddFactors& f) {
  const float ta = static_cast<float>(a - f.za) * f.fa;
  const float tb = static_cast<float>(b - f.zb) * f.fb;
  return round_to_int8(ta + tb, f.zy);
}

// QGlobalAveragePool: sx / (sy * float(pixels)).
inline float average_multiplier(const Quantization& x, const Quantization& y, int64_t pixels) {
  return x.scale[0] / (y.scale[0] * static_cast<float>(pixels));
}

}  // namespace tandem::qmath
