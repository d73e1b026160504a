// Portable twin of gemm_f32_neon on the same packed B: the fallback and a second oracle.
#include <algorithm>

#include "kernels/cpu/neon/neon_kernels.h"

namespace tandem::neon {

void gemm_f32_scalar(int m, int n, int k, const float* a, int lda, const float* packed_b, float* c,
                     int ldc, const float* bias, float out_min, float out_max) {
  for (int i = 0; i < m; ++i) {
    const float* row = a + static_cast<size_t>(i) * lda;
    for (int j = 0; j < n; ++j) {
      const float* panel = packed_b + static_cast<size_t>(j / kGemmNr * kGemmNr) * k;
      const int lane = j % kGemmNr;
      double acc = bias ? bias[j] : 0.0;  // double: the oracle should not share float rounding
      for (int kk = 0; kk < k; ++kk)
        acc += static_cast<double>(row[kk]) * panel[kk * kGemmNr + lane];
      c[static_cast<size_t>(i) * ldc + j] =
          std::min(std::max(static_cast<float>(acc), out_min), out_max);
    }
  }
}

}  // namespace tandem::neon
