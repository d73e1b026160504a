// QAdd and QConcat (docs/int8.md): QAdd in float with one rounding; QConcat
// copies inputs quantized like the output and requantizes the others.
#include <cstring>

#include "graph/quant_math.h"
#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(QAdd) {
  const qmath::AddFactors f = qmath::add_factors(
      g.tensor(n.inputs[0]).quant, g.tensor(n.inputs[1]).quant, g.tensor(n.outputs[0]).quant);
  const auto* a = reinterpret_cast<const int8_t*>(in[0]);
  const auto* b = reinterpret_cast<const int8_t*>(in[1]);
  auto* y = reinterpret_cast<int8_t*>(out[0]);
  const int64_t count = elements(out_shape(g, n));
  for (int64_t i = 0; i < count; ++i) y[i] = qmath::add_values(a[i], b[i], f);
  return Status();
}

TANDEM_REF_KERNEL(QConcat) {
  const Shape& ys = out_shape(g, n);
  int64_t axis = 0;
  if (!normalize_axis(n.attrs.axis, static_cast<int64_t>(ys.size()), &axis))
    return invalid_model(node_label(n) + ": QConcat axis out of range");
  const size_t ax = static_cast<size_t>(axis);
  const int64_t outer = dims_product(ys, 0, ax);
  const int64_t inner = dims_product(ys, ax + 1, ys.size());
  const Quantization& qy = g.tensor(n.outputs[0]).quant;
  auto* y = reinterpret_cast<int8_t*>(out[0]);
  for (int64_t o = 0; o < outer; ++o) {
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const int64_t block = in_shape(g, n, i)[ax] * inner;
      const auto* x = reinterpret_cast<const int8_t*>(in[i]) + o * block;
      const Quantization& qx = g.tensor(n.inputs[i]).quant;
      if (qx == qy) {
        if (block) std::memcpy(y, x, static_cast<size_t>(block));
      } else {
        for (int64_t k = 0; k < block; ++k) y[k] = qmath::requantize_value(x[k], qx, qy);
      }
      y += block;
    }
  }
  return Status();
}

}  // namespace tandem::ref
