// LayerNorm and GELU rows (norm_rows_impl.h) on AVX2 + FMA (8 lanes).
#include <cmath>
#include <cstdint>

#include "kernels/cpu/x86/norm_rows.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "kernels/cpu/x86/simd_target.h"

TANDEM_SIMD_BEGIN_AVX2
#include "kernels/cpu/x86/simd_avx2.h"

namespace tandem::cpu::avx2 {

#include "kernels/cpu/x86/norm_rows_impl.h"

void layer_norm_row(const float* x, float* y, int64_t c, const float* scale, const float* bias,
                    float eps) {
  layer_norm_row_t<Avx2F32>(x, y, c, scale, bias, eps);
}

void gelu_erf_row(const float* x, float* y, int64_t c) {
  map_row_t<Avx2F32, gelu_erf_v<Avx2F32>>(x, y, c);
}

void gelu_tanh_row(const float* x, float* y, int64_t c) {
  map_row_t<Avx2F32, gelu_tanh_v<Avx2F32>>(x, y, c);
}

void softmax_row(const float* x, float* y, int64_t c) {
  softmax_row_t<Avx2F32>(x, y, c);
}

}  // namespace tandem::cpu::avx2

TANDEM_SIMD_END
#endif
