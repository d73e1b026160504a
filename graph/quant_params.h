// The quantization parameters `tandem quantize` chooses (docs/int8.md,
// "tandem quantize"): activations int8 asymmetric from a calibrated range,
// weights int8 symmetric per output channel, biases int32 at sx * sw[m].
// These are the first part of post-training static quantization; the graph
// rewrite to QDQ form and the CLI build on them.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/tensor.h"

namespace tandem::quant {

// Running min/max of one activation tensor over the calibration inputs.
struct MinMax {
  float min = 0.0f, max = 0.0f;
  bool seen = false;
  void observe(const float* x, size_t n);
};

// Histogram of one activation tensor over [min, max] of its MinMax (a second
// calibration pass), for the percentile calibrator: the range that keeps
// `percent` % of the observed values, (100 - percent) / 2 % cut from each tail
// (bin edges, so the kept range is at most one bin wider). Values outside
// [min, max] count in the end bins.
struct Histogram {
  float lo = 0.0f, hi = 0.0f;
  std::vector<uint64_t> bins;
  uint64_t total = 0;
  Histogram() = default;
  Histogram(const MinMax& range, int nbins);
  void observe(const float* x, size_t n);
  MinMax percentile_range(double percent) const;
};

// Per-tensor int8 quantization covering [min, max] widened to contain 0:
// scale = (max - min) / 255, zero point = rne(-128 - min / scale) clamped to
// [-128, 127]. A range of zero width gets scale 1 (every value quantizes to 0).
Quantization activation_quant(float min, float max);

// Weights [M, ...] quantized per output channel m (axis 0), symmetric:
// scale[m] = max|w_m| / 127 (1 for an all-zero channel), q = sat(rne(w / s)).
struct QuantizedWeights {
  std::vector<int8_t> values;
  Quantization quant;
};
QuantizedWeights quantize_weights(const float* w, int64_t channels, int64_t per_channel);

// Bias [M] as int32 at scale sx * sw[m] (zero point 0), rounded half to even,
// saturated to the int32 range.
struct QuantizedBias {
  std::vector<int32_t> values;
  Quantization quant;
};
QuantizedBias quantize_bias(const float* b, int64_t channels, float x_scale,
                            const Quantization& w_quant);

}  // namespace tandem::quant
