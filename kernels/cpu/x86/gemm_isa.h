// The per-level entry points behind gemm.h's gemm_f32 / gemm_f32_rows /
// gemm_block_rows (gemm.cc dispatches on PackedGemmB::isa). x86-64 only.
#pragma once

#include "kernels/cpu/x86/gemm.h"

namespace tandem::cpu {
namespace avx512 {
void gemm_f32(const PackedGemmB& b, const GemmCall& call, pthreadpool_t pool, uint32_t flags);
void gemm_f32_rows(const PackedGemmB& b, const GemmCall& call, int64_t m0, int64_t m1);
int64_t gemm_block_rows(int64_t m);
}  // namespace avx512
namespace avx2 {
void gemm_f32(const PackedGemmB& b, const GemmCall& call, pthreadpool_t pool, uint32_t flags);
void gemm_f32_rows(const PackedGemmB& b, const GemmCall& call, int64_t m0, int64_t m1);
int64_t gemm_block_rows(int64_t m);
}  // namespace avx2
}  // namespace tandem::cpu
