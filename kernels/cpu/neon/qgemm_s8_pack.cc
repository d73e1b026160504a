// Packing for the int8 GEMM (qgemm_s8_neon / qgemm_s8_scalar): SDOT's layout.
#include "kernels/cpu/neon/neon_kernels.h"

namespace tandem::neon {

size_t qgemm_s8_packed_size(int n, int k) {
  const size_t panels = static_cast<size_t>((n + kQGemmNr - 1) / kQGemmNr);
  return panels * static_cast<size_t>((k + 3) / 4) * kQGemmNr * 4;
}

void qgemm_s8_pack(int n, int k, const int8_t* w, const int32_t* bias, int zx, int8_t* packed,
                   int32_t* bias_out) {
  const int k4 = (k + 3) / 4, np = (n + kQGemmNr - 1) / kQGemmNr * kQGemmNr;
  for (size_t i = 0; i < qgemm_s8_packed_size(n, k); ++i) packed[i] = 0;
  for (int j = 0; j < np; ++j) bias_out[j] = 0;
  for (int j = 0; j < n; ++j) {
    const int panel = j / kQGemmNr, col = j % kQGemmNr;
    int32_t sum = 0;
    for (int kk = 0; kk < k; ++kk) {
      const int8_t v = w[static_cast<size_t>(j) * k + kk];
      sum += v;
      packed[(static_cast<size_t>(panel) * k4 + kk / 4) * kQGemmNr * 4 + col * 4 + kk % 4] = v;
    }
    bias_out[j] = (bias ? bias[j] : 0) - zx * sum;  // sum (a - zx) w = sum a w - zx sum w
  }
}

#if !defined(__aarch64__)
bool qgemm_s8_neon_available() {
  return false;
}
#endif

}  // namespace tandem::neon
