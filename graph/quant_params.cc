#include "graph/quant_params.h"

#include <algorithm>
#include <cmath>

#include "graph/quant_math.h"

namespace tandem::quant {

void MinMax::observe(const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (v != v) continue;  // NaN carries no range
    if (!seen) {
      min = max = v;
      seen = true;
    }
    min = std::min(min, v);
    max = std::max(max, v);
  }
}

Quantization activation_quant(float min, float max) {
  min = std::min(min, 0.0f);
  max = std::max(max, 0.0f);
  Quantization q;
  q.scale.push_back(max > min ? (max - min) / 255.0f : 1.0f);
  const float zp = std::nearbyint(-128.0f - min / q.scale[0]);
  q.zero_point.push_back(int32_t(std::min(127.0f, std::max(-128.0f, zp))));
  return q;
}

QuantizedWeights quantize_weights(const float* w, int64_t channels, int64_t per_channel) {
  QuantizedWeights r;
  r.values.resize(size_t(channels * per_channel));
  r.quant.axis = channels > 1 ? 0 : -1;
  for (int64_t m = 0; m < channels; ++m) {
    const float* row = w + m * per_channel;
    float amax = 0.0f;
    for (int64_t k = 0; k < per_channel; ++k) amax = std::max(amax, std::fabs(row[k]));
    const float s = amax > 0.0f ? amax / 127.0f : 1.0f;
    r.quant.scale.push_back(s);
    r.quant.zero_point.push_back(0);
    for (int64_t k = 0; k < per_channel; ++k)
      r.values[size_t(m * per_channel + k)] = qmath::round_to_int8(row[k] / s, 0, -127, 127);
  }
  return r;
}

QuantizedBias quantize_bias(const float* b, int64_t channels, float x_scale,
                            const Quantization& w_quant) {
  QuantizedBias r;
  r.quant.axis = channels > 1 ? 0 : -1;
  for (int64_t m = 0; m < channels; ++m) {
    const float sw = w_quant.scale.size() == 1 ? w_quant.scale[0] : w_quant.scale[size_t(m)];
    const float s = x_scale * sw;
    const double v = std::nearbyint(double(b[m]) / double(s));
    r.values.push_back(int32_t(std::min(2147483647.0, std::max(-2147483648.0, v))));
    r.quant.scale.push_back(s);
    r.quant.zero_point.push_back(0);
  }
  return r;
}

}  // namespace tandem::quant
