// Rows of x * gate(x) (SiLU, HardSwish; ops/gated_activation.cc) on AVX-512 and
// AVX2 + FMA: one source (gated_rows_impl.h) instantiated per level in
// gated_rows_avx512.cc and gated_rows_avx2.cc. Call a level's rows only on a CPU
// that runs it.
#pragma once

#include <cstdint>

namespace tandem::cpu {

#if defined(__x86_64__)
namespace avx512 {
// y[i] = x[i] * sigmoid(x[i]), i < c (alpha, beta unused).
void silu_row(const float* x, float* y, int64_t c, float alpha, float beta);
// y[i] = x[i] * clamp(alpha x[i] + beta, 0, 1), i < c.
void hard_row(const float* x, float* y, int64_t c, float alpha, float beta);
}  // namespace avx512
namespace avx2 {
void silu_row(const float* x, float* y, int64_t c, float alpha, float beta);
void hard_row(const float* x, float* y, int64_t c, float alpha, float beta);
}  // namespace avx2
#endif

}  // namespace tandem::cpu
