// Gelu (ONNX opset 20): x * Phi(x), exact (erf) or the tanh approximation,
// per element in double (elementwise_math.h). Safe in place.
#include "kernels/reference/elementwise_math.h"
#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(Gelu) {
  const int64_t count = elements(in_shape(g, n, 0));
  const float* x = in[0];
  float* y = out[0];
  if (n.attrs.gelu_approximate == GeluApproximate::kTanh) {
    for (int64_t i = 0; i < count; ++i) y[i] = gelu_tanh_value(x[i]);
  } else {
    for (int64_t i = 0; i < count; ++i) y[i] = gelu_erf_value(x[i]);
  }
  return Status();
}

}  // namespace tandem::ref
