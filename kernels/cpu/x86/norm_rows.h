// Rows of LayerNorm, GELU and softmax (ops/layer_norm.cc, ops/gelu.cc, ops/softmax.cc) on AVX-512
// and AVX2 + FMA: one source (norm_rows_impl.h) instantiated per level in norm_rows_avx512.cc and
// norm_rows_avx2.cc. Call a level's rows only on a CPU that runs it.
#pragma once

#include <cstdint>

namespace tandem::cpu {

#if defined(__x86_64__)
namespace avx512 {
// y = (x - mean) / sqrt(var + eps) * scale + bias over one row of c floats
// (mean, then the mean of squared deviations: two passes). bias may be nullptr.
void layer_norm_row(const float* x, float* y, int64_t c, const float* scale, const float* bias,
                    float eps);
// y[i] = x[i] * Phi(x[i]), i < c: the erf form (erfc by a rational-exponential
// fit, absolute error ~1.5e-7 in Phi) or the tanh form, x * sigmoid(2u).
void gelu_erf_row(const float* x, float* y, int64_t c);
void gelu_tanh_row(const float* x, float* y, int64_t c);
// y = softmax(x) over one row of c floats (max subtracted; exp_v, ~1e-7 relative).
void softmax_row(const float* x, float* y, int64_t c);
}  // namespace avx512
namespace avx2 {
void layer_norm_row(const float* x, float* y, int64_t c, const float* scale, const float* bias,
                    float eps);
void gelu_erf_row(const float* x, float* y, int64_t c);
void gelu_tanh_row(const float* x, float* y, int64_t c);
void softmax_row(const float* x, float* y, int64_t c);
}  // namespace avx2
#endif

}  // namespace tandem::cpu
