// SiLU and HardSwish rows (gated_rows_impl.h) on AVX-512 (16 lanes).
#include <cstdint>

#include "kernels/cpu/x86/gated_rows.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "kernels/cpu/x86/simd_target.h"

TANDEM_SIMD_BEGIN_AVX512
#include "kernels/cpu/x86/simd_avx512.h"

namespace tandem::cpu::avx512 {

#include "kernels/cpu/x86/gated_rows_impl.h"

void silu_row(const float* x, float* y, int64_t c, float, float) {
  silu_row_t<Avx512F32>(x, y, c);
}

void hard_row(const float* x, float* y, int64_t c, float alpha, float beta) {
  hard_row_t<Avx512F32>(x, y, c, alpha, beta);
}

}  // namespace tandem::cpu::avx512

TANDEM_SIMD_END
#endif
