// The GEMM of gemm_kernel.h for AVX-512F: 12x32 tiles (24 zmm accumulators).
#include "kernels/cpu/x86/gemm_isa.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

#include "kernels/cpu/x86/simd_target.h"

TANDEM_SIMD_BEGIN_AVX512
#include "kernels/cpu/x86/simd_avx512.h"

namespace tandem::cpu::avx512 {
namespace {

using S = Avx512F32;
constexpr int kMR = 12;   // rows of A per micro-tile (12 x 2 accumulators)
constexpr int kVecs = 2;  // a panel is 32 columns, two zmm
constexpr int kMRHalf = 24;
// K block: a panel's KC x 32 slice of B (32 KiB) stays in L1 across the m-tiles.
constexpr int64_t kKC = 256;
// M block: the MC x KC slice of A (144 KiB) stays in L2 across the panels of a task.
constexpr int64_t kMC = 144;
// B rows (128 bytes each) prefetched ahead, 24 KiB: weights arrive cold each inference
// (measurements in docs/cpu_processor.md, "The own GEMM").
constexpr int64_t kPrefetchRows = 192;
constexpr int64_t kPanelMajorBytes = 512 << 10;

#include "kernels/cpu/x86/gated_rows_impl.h"
#include "kernels/cpu/x86/gemm_kernel.h"

}  // namespace

void gemm_f32(const PackedGemmB& b, const GemmCall& call, pthreadpool_t pool, uint32_t flags) {
  gemm(b, call, pool, flags);
}
void gemm_f32_rows(const PackedGemmB& b, const GemmCall& call, int64_t m0, int64_t m1) {
  gemm_rows_all(b, call, m0, m1);
}
int64_t gemm_block_rows(int64_t m) {
  return block_rows(m);
}

}  // namespace tandem::cpu::avx512

TANDEM_SIMD_END
#endif
