// The GEMM of gemm_kernel.h for AVX2 + FMA3: 6x16 tiles (12 of the 16 ymm
// registers accumulate, two hold B's row, one the broadcast of A).
#include "kernels/cpu/x86/gemm_isa.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

#include "kernels/cpu/x86/simd_target.h"

TANDEM_SIMD_BEGIN_AVX2
#include "kernels/cpu/x86/simd_avx2.h"

namespace tandem::cpu::avx2 {
namespace {

using S = Avx2F32;
constexpr int kMR = 6;       // rows of A per micro-tile (6 x 2 accumulators)
constexpr int kVecs = 2;     // a panel is 16 columns, two ymm
constexpr int kMRHalf = 12;  // 8-column panels: 12 accumulators, one B load
// K block: a panel's KC x 16 slice of B (16 KiB) stays in a 32 KiB L1 across the
// m-tiles, with room for the A rows the tile streams.
constexpr int64_t kKC = 256;
// M block: the MC x KC slice of A (144 KiB) stays in L2 (256 KiB to 1 MiB on AVX2
// parts) across the panels of a task.
constexpr int64_t kMC = 144;
// B rows (64 bytes each) fetched ahead: the same 24 KiB as on AVX-512.
constexpr int64_t kPrefetchRows = 384;
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

}  // namespace tandem::cpu::avx2

TANDEM_SIMD_END
#endif
