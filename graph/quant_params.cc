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

Histogram::Histogram(const MinMax& range, int nbins)
    : lo(range.min), hi(range.max), bins(size_t(std::max(1, nbins)), 0) {}

void Histogram::observe(const float* x, size_t n) {
  const double width = double(hi) - double(lo);
  const double per_bin = width > 0 ? double(bins.size()) / width : 0.0;
  const int64_t last = int64_t(bins.size()) - 1;
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (v != v) continue;
    const int64_t b = int64_t((double(v) - lo) * per_bin);
    ++bins[size_t(std::min(last, std::max<int64_t>(0, b)))];
    ++total;
  }
}

MinMax Histogram::percentile_range(double percent) const {
  MinMax r{lo, hi, total > 0};
  if (total == 0 || percent >= 100.0) return r;
  const double cut = double(total) * (100.0 - percent) / 200.0;  // values dropped per tail
  const double bin = (double(hi) - double(lo)) / double(bins.size());
  size_t first = 0, last = bins.size() - 1;
  for (double below = 0; first < last && below + double(bins[first]) <= cut; ++first)
    below += double(bins[first]);
  for (double above = 0; last > first && above + double(bins[last]) <= cut; --last)
    above += double(bins[last]);
  r.min = float(double(lo) + double(first) * bin);
  r.max = float(double(lo) + double(last + 1) * bin);
  r.min = std::max(r.min, lo), r.max = std::min(r.max, hi);
  return r;
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
