// Erf (the Gauss error function, GELU's core): std::erf per element. Safe in
// place (out[0] == in[0]).
#include <cmath>

#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

TANDEM_REF_KERNEL(Erf) {
  const int64_t count = elements(in_shape(g, n, 0));
  const float* x = in[0];
  float* y = out[0];
  for (int64_t i = 0; i < count; ++i) y[i] = std::erf(x[i]);
  return Status();
}

}  // namespace tandem::ref
