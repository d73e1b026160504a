// Portable twin of qgemm_s8_neon on the same packed W: the fallback and a second oracle.
#include <cmath>

#include "kernels/cpu/neon/neon_kernels.h"

namespace tandem::neon {

void qgemm_s8_scalar(int m, int n, int k, const int8_t* a, int lda, const int8_t* packed, int8_t* c,
                     int ldc, const QGemmS8Epilogue& e) {
  const int k4 = (k + 3) / 4;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      const int8_t* panel = packed + static_cast<size_t>(j / kQGemmNr) * k4 * kQGemmNr * 4;
      int32_t acc = e.bias[j];
      for (int kk = 0; kk < k; ++kk)
        acc += int32_t(a[static_cast<size_t>(i) * lda + kk]) *
               panel[(kk / 4) * kQGemmNr * 4 + (j % kQGemmNr) * 4 + kk % 4];
      float f = static_cast<float>(acc) * e.multiplier[j];
      f = std::fmin(std::fmax(f, float(e.lo - e.zy)), float(e.hi - e.zy));
      c[static_cast<size_t>(i) * ldc + j] = static_cast<int8_t>(std::nearbyint(f) + e.zy);
    }
}

}  // namespace tandem::neon
