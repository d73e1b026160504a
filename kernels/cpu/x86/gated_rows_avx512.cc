// SiLU and HardSwish rows (gated_rows_impl.h) on AVX-512 (16 lanes).
#include <cstdint>

#include "kernels/cpu/x86/gated_rows.h"

#if defined(__x86_64__)
#include <immintrin.h>

#pragma GCC push_options
#pragma GCC target("avx512f")
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

#pragma GCC pop_options
#endif
