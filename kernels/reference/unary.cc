// Elementwise activations: Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Tanh,
// LeakyRelu, Sqrt. Safe in place (out[0] == in[0]).
#include <cmath>

#include "kernels/reference/reference_ops.h"

namespace tandem::ref {
namespace {

template <typename F>
Status map(const Graph& g, const Node& n, const float* const* in, float* const* out, F f) {
  const int64_t count = elements(in_shape(g, n, 0));
  const float* x = in[0];
  float* y = out[0];
  for (int64_t i = 0; i < count; ++i) y[i] = f(x[i]);
  return Status();
}

}  // namespace

TANDEM_REF_KERNEL(Relu) {
  return map(g, n, in, out, [](float v) { return v > 0.0f ? v : 0.0f; });
}

TANDEM_REF_KERNEL(Clip) {
  const float lo = n.attrs.clip_min, hi = n.attrs.clip_max;
  // ONNX: min applied first, then max; with lo > hi every value becomes hi.
  return map(g, n, in, out, [lo, hi](float v) { return std::min(std::max(v, lo), hi); });
}

TANDEM_REF_KERNEL(Sigmoid) {
  return map(g, n, in, out, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
}

TANDEM_REF_KERNEL(HardSigmoid) {
  const float alpha = n.attrs.alpha, beta = n.attrs.beta;
  return map(g, n, in, out,
             [alpha, beta](float v) { return std::min(1.0f, std::max(0.0f, alpha * v + beta)); });
}

TANDEM_REF_KERNEL(HardSwish) {
  // ONNX HardSwish: x * max(0, min(1, x / 6 + 1/2)).
  return map(g, n, in, out,
             [](float v) { return v * std::min(1.0f, std::max(0.0f, v / 6.0f + 0.5f)); });
}

TANDEM_REF_KERNEL(Tanh) {
  return map(g, n, in, out, [](float v) { return std::tanh(v); });
}

TANDEM_REF_KERNEL(LeakyRelu) {
  const float alpha = n.attrs.alpha;
  return map(g, n, in, out, [alpha](float v) { return v < 0.0f ? alpha * v : v; });
}

TANDEM_REF_KERNEL(Sqrt) {
  return map(g, n, in, out, [](float v) { return std::sqrt(v); });
}

}  // namespace tandem::ref
