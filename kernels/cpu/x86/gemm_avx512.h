// Own f32 GEMM for x86-64 with AVX-512: C[M, N] = clamp(A[M, K] * B[K, N] + bias).
//
// Why: XNNPACK 2022's AVX-512 GEMM uses 7x16 tiles and runs ResNet-50's 1x1
// convolutions at ~185 GFLOP/s here, where ONNX Runtime's kernels reach ~235 of the
// core's ~276. This one uses 12x32 tiles (24 accumulators in zmm registers, two
// B loads and twelve broadcasts per 24 FMAs), B packed once into 32-column panels,
// and K, M and N blocked so a B panel block stays in L1 while the rows of A that
// use it stay in L2.
//
// A is read in place: row r at a + r * lda (lda >= K), which is an NHWC activation
// with its pixel stride. C rows are written at c + r * ldc, so a 1x1 convolution
// writes straight into its channel slice of a concatenation.
#pragma once

#include <pthreadpool.h>

#include <cstdint>
#include <vector>

// Marks functions that use AVX-512 intrinsics; call them only when
// gemm_avx512_available() (the binary itself targets baseline x86-64).
#if defined(__x86_64__)
#define TANDEM_AVX512 __attribute__((target("avx512f")))
#endif

namespace tandem::cpu {

// True when this CPU runs the AVX-512 kernels (checked once).
bool gemm_avx512_available();

// B [K, N] packed into ceil(N/32) panels of [K][32] floats, zero-padded past N,
// plus the bias padded to a multiple of 32.
struct PackedGemmB {
  int64_t k = 0, n = 0;
  std::vector<float> data;  // panels start at data() + offset (64-byte aligned)
  size_t offset = 0;        // floats to the first aligned panel
  std::vector<float> bias;  // ceil(N/32)*32 values
  const float* panels() const { return data.data() + offset; }
};

// b(k, n) gives B's element at row k, column n (so callers pack from any layout).
template <typename F>
PackedGemmB pack_gemm_b(int64_t k, int64_t n, const float* bias, F b) {
  PackedGemmB p;
  p.k = k;
  p.n = n;
  const int64_t panels = (n + 31) / 32;
  p.data.assign(size_t(panels * k * 32 + 16), 0.0f);
  p.offset = (64 - reinterpret_cast<uintptr_t>(p.data.data()) % 64) % 64 / sizeof(float);
  float* dst = p.data.data() + p.offset;
  for (int64_t j = 0; j < panels; ++j)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t c = 0; c < 32 && j * 32 + c < n; ++c)
        dst[(j * k + kk) * 32 + c] = b(kk, j * 32 + c);
  p.bias.assign(size_t(panels * 32), 0.0f);
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
};

// Runs C = clamp(A * B + bias [+ R]) on `pool` (nullptr: the calling thread).
// Requires gemm_avx512_available().
void gemm_avx512(const PackedGemmB& b, const GemmCall& call, pthreadpool_t pool, uint32_t flags);

// Rows per M block that gemm_avx512 would use for `m` rows (their A slice fits L2).
int64_t gemm_avx512_block_rows(int64_t m);

// Rows [m0, m1) only, all columns, on the calling thread: for callers that
// produce A block by block (im2col) and use it while it is still in cache.
void gemm_avx512_rows(const PackedGemmB& b, const GemmCall& call, int64_t m0, int64_t m1);

}  // namespace tandem::cpu
