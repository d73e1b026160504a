// ISA dispatch of the own GEMM (gemm.h): each call runs the kernel of the level
// its B was packed for.
#include "kernels/cpu/x86/gemm.h"

#include "kernels/cpu/x86/gemm_isa.h"

namespace tandem::cpu {

bool gemm_isa_supported(CpuIsa isa) {
#if defined(__x86_64__)
  return isa >= CpuIsa::kAvx2 && isa <= cpu_isa_detected();
#else
  (void)isa;
  return false;
#endif
}

int64_t gemm_panel_width(CpuIsa isa) {
  return isa == CpuIsa::kAvx2 ? 16 : 32;
}

#if defined(__x86_64__)

void gemm_f32(const PackedGemmB& b, const GemmCall& call, pthreadpool_t pool, uint32_t flags) {
  if (call.m <= 0 || b.n <= 0 || !gemm_isa_supported(b.isa)) return;
  if (b.isa == CpuIsa::kAvx512)
    avx512::gemm_f32(b, call, pool, flags);
  else
    avx2::gemm_f32(b, call, pool, flags);
}

int64_t gemm_block_rows(CpuIsa isa, int64_t m) {
  if (!gemm_isa_supported(isa)) return m;
  return isa == CpuIsa::kAvx512 ? avx512::gemm_block_rows(m) : avx2::gemm_block_rows(m);
}

void gemm_f32_rows(const PackedGemmB& b, const GemmCall& call, int64_t m0, int64_t m1) {
  if (b.n <= 0 || !gemm_isa_supported(b.isa)) return;
  if (b.isa == CpuIsa::kAvx512)
    avx512::gemm_f32_rows(b, call, m0, m1);
  else
    avx2::gemm_f32_rows(b, call, m0, m1);
}

#else  // not x86-64: no own GEMM (callers check gemm_isa_supported)

void gemm_f32(const PackedGemmB&, const GemmCall&, pthreadpool_t, uint32_t) {}
int64_t gemm_block_rows(CpuIsa, int64_t m) {
  return m;
}
void gemm_f32_rows(const PackedGemmB&, const GemmCall&, int64_t, int64_t) {}

#endif

}  // namespace tandem::cpu
