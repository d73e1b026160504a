// QuantizeLinear (float -> int8) and DequantizeLinear (int8/int32 -> float),
// quantization read from the int8 side's tensor (docs/int8.md).
#include "graph/quant_math.h"
#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(QuantizeLinear) {
  const Quantization& q = g.tensor(n.outputs[0]).quant;
  const int64_t count = elements(in_shape(g, n, 0));
  const float s = q.scale[0];
  const int32_t zp = q.zero_point[0];
  auto* y = reinterpret_cast<int8_t*>(out[0]);
  for (int64_t i = 0; i < count; ++i) y[i] = qmath::quantize(in[0][i], s, zp);
  return Status();
}

// Per tensor, or per index of the quantization axis (weights that no int8 op took).
TANDEM_REF_KERNEL(DequantizeLinear) {
  const Tensor& x = g.tensor(n.inputs[0]);
  const Quantization& q = x.quant;
  const int64_t count = elements(x.shape);
  int64_t inner = 1, dim = 1;
  if (q.axis >= 0) {
    dim = x.shape[size_t(q.axis)];
    for (size_t d = size_t(q.axis) + 1; d < x.shape.size(); ++d) inner *= x.shape[d];
  }
  const bool wide = x.dtype == DType::kInt32;
  const auto* x8 = reinterpret_cast<const int8_t*>(in[0]);
  const auto* x32 = reinterpret_cast<const int32_t*>(in[0]);
  for (int64_t i = 0; i < count; ++i) {
    const size_t c = q.axis >= 0 ? size_t((i / inner) % dim) : 0;
    out[0][i] = qmath::dequantize(wide ? x32[i] : x8[i], q.scale[c], q.zero_point[c]);
  }
  return Status();
}

}  // namespace tandem::ref
