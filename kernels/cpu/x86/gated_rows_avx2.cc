// SiLU and HardSwish rows (gated_rows_impl.h) on AVX2 + FMA (8 lanes).
#include <cstdint>

#include "kernels/cpu/x86/gated_rows.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "kernels/cpu/x86/simd_target.h"

TANDEM_SIMD_BEGIN_AVX2
#include "kernels/cpu/x86/simd_avx2.h"

namespace tandem::cpu::avx2 {

#include "kernels/cpu/x86/gated_rows_impl.h"

void silu_row(const float* x, float* y, int64_t c, float, float) {
  silu_row_t<Avx2F32>(x, y, c);
}

void hard_row(const float* x, float* y, int64_t c, float alpha, float beta) {
  hard_row_t<Avx2F32>(x, y, c, alpha, beta);
}

}  // namespace tandem::cpu::avx2

TANDEM_SIMD_END
#endif
