// Own f32 GEMM for x86-64, one source over the vector width (gemm_kernel.h on
// the SIMD layer), instantiated for AVX-512 (gemm_avx512.cc) and AVX2 + FMA3
// (gemm_avx2.cc): C[M, N] = clamp(A[M, K] * B[K, N] + bias [+ R]) [then SiLU].
//
// Why: XNNPACK 2022's AVX-512 GEMM uses 7x16 tiles and runs ResNet-50's 1x1
// convolutions at ~185 GFLOP/s here, where ONNX Runtime's kernels reach ~235 of the
// core's ~276; its AVX2 path runs them at about a third of an AVX2 core's peak.
// The own kernel keeps most of the register file in accumulators: 12x32 tiles on
// AVX-512 (24 zmm accumulators, two B loads and twelve broadcasts per 24 FMAs),
// 6x16 on AVX2 (12 of the 16 ymm registers, two B loads, one broadcast). B is
// packed once into panels of the tile's width, and K, M and N are blocked so a B
// panel block stays in L1 while the rows of A that use it stay in L2.
//
// A is read in place: row r at a + r * lda (lda >= K), which is an NHWC activation
// with its pixel stride. C rows are written at c + r * ldc, so a 1x1 convolution
// writes straight into its channel slice of a concatenation.
//
// The API is ISA-neutral: pack B for a level (pack_gemm_b(isa, ...)), then
// gemm_f32 / gemm_f32_rows run the kernel of the level B was packed for.
#pragma once

#include <pthreadpool.h>

#include <cstdint>
#include <vector>

#include "kernels/cpu/x86/isa.h"

// Marks functions that use AVX-512 intrinsics directly; call them only when the
// level in use is kAvx512 (the binary itself targets baseline x86-64). New
// kernels use the SIMD layer (simd_avx512.h) instead.
#if defined(__x86_64__)
#define TANDEM_AVX512 __attribute__((target("avx512f")))
#endif

namespace tandem::cpu {

// True when the level has an own GEMM (kAvx2 and up, on x86-64).
bool gemm_isa_supported(CpuIsa isa);

// Columns per packed B panel at `isa`: 32 on AVX-512 (two zmm), 16 on AVX2 (two ymm).
int64_t gemm_panel_width(CpuIsa isa);

// B [K, N] packed into ceil(N/nr) panels of [K][nr] floats, zero-padded past N,
// plus the bias padded to a multiple of nr; nr = gemm_panel_width(isa).
struct PackedGemmB {
  int64_t k = 0, n = 0;
  int64_t nr = 32;               // panel width
  CpuIsa isa = CpuIsa::kAvx512;  // the kernel these panels are for
  std::vector<float> data;       // panels start at data() + offset (64-byte aligned)
  size_t offset = 0;             // floats to the first aligned panel
  std::vector<float> bias;       // ceil(N/nr)*nr values
  const float* panels() const { return data.data() + offset; }
  bool empty() const { return data.empty(); }
};

// Rewrites the panels of `p` (already sized by pack_gemm_b) from b(k, n), in place:
// a B that changes every run (attention's K^T and V) is repacked without allocating.
template <typename F>
void repack_gemm_b(PackedGemmB* p, F b) {
  const int64_t k = p->k, n = p->n, nr = p->nr;
  const int64_t panels = (n + nr - 1) / nr;
  float* dst = p->data.data() + p->offset;
  for (int64_t j = 0; j < panels; ++j)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t c = 0; c < nr && j * nr + c < n; ++c)
        dst[(j * k + kk) * nr + c] = b(kk, j * nr + c);
}

// b(k, n) gives B's element at row k, column n (so callers pack from any layout).
template <typename F>
PackedGemmB pack_gemm_b(CpuIsa isa, int64_t k, int64_t n, const float* bias, F b) {
  PackedGemmB p;
  p.k = k;
  p.n = n;
  p.isa = isa;
  p.nr = gemm_panel_width(isa);
  const int64_t nr = p.nr;
  const int64_t panels = (n + nr - 1) / nr;
  p.data.assign(size_t(panels * k * nr + 16), 0.0f);
  p.offset = (64 - reinterpret_cast<uintptr_t>(p.data.data()) % 64) % 64 / sizeof(float);
  repack_gemm_b(&p, b);
  p.bias.assign(size_t(panels * nr), 0.0f);
  if (bias)
    for (int64_t c = 0; c < n; ++c) p.bias[size_t(c)] = bias[c];
  return p;
}

struct GemmCall {
  int64_t m = 0;
  const float* a = nullptr;
  int64_t lda = 0;
  float* c = nullptr;
  int64_t ldc = 0;
  // Optional: A(r, p) = a[r * lda + a_offsets[p]] instead of a[r * lda + p]: a
  // convolution reading its (padded) input in place, one offset per (ky, kx, c).
  const int32_t* a_offsets = nullptr;
  // Optional residual R [M, N] added before the clamp (a fused ResNet Add);
  // may not overlap C.
  const float* r = nullptr;
  int64_t ldr = 0;
  float lo = -__builtin_inff(), hi = __builtin_inff();
  // x * sigmoid(x) after the clamp (a Conv -> SiLU pair fused by the compiler),
  // with the same vector SiLU as the separate gated kernel (gated_rows_impl.h),
  // so fusing changes no bit.
  bool silu = false;
  // Rows x K bytes of A up to which each B panel runs over all of K before the next
  // (B streams sequentially with its prefetch, A stays in L2); 0: the level's default
  // (512 KiB, what the conv blocks were measured with).
  int64_t panel_major_bytes = 0;
  // Optional: run on each finished row of a C tile, in place, while it is in L1
  // (a Gelu fused after the conv: x86/norm_rows.h); after the clamp.
  void (*row_op)(const float* x, float* y, int64_t n) = nullptr;
};

// Runs C = clamp(A * B + bias [+ R]) on `pool` (nullptr: the calling thread) with
// the kernel of b.isa. Does nothing when that level has no own GEMM.
void gemm_f32(const PackedGemmB& b, const GemmCall& call, pthreadpool_t pool, uint32_t flags);

// Rows per M block that gemm_f32 would use for `m` rows at `isa` (their A slice fits L2).
int64_t gemm_block_rows(CpuIsa isa, int64_t m);

// Rows [m0, m1) only, all columns, on the calling thread: for callers that
// produce A block by block (im2col) and use it while it is still in cache.
void gemm_f32_rows(const PackedGemmB& b, const GemmCall& call, int64_t m0, int64_t m1);

}  // namespace tandem::cpu
