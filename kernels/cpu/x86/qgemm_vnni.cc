#include "kernels/cpu/x86/qgemm_vnni.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>

#include "kernels/cpu/x86/row_tiles.h"

#include "kernels/cpu/x86/qgemm_vnni_parts.h"
#endif

namespace tandem::cpu {

QGemmVnniWeights qgemm_vnni_pack(const int8_t* w, int64_t m, int64_t k, const int32_t* bias,
                                 int32_t zx, const std::vector<float>& multiplier, int32_t zy,
                                 int32_t lo, int32_t hi) {
  QGemmVnniWeights p;
  p.k = k, p.m = m, p.blocks = (m + 15) / 16;
  p.zy = zy, p.lo = lo, p.hi = hi;
  const int64_t k4 = k / 4;
  p.packed.assign(size_t(p.blocks * k4 * 64), 0);
  p.bias.assign(size_t(p.blocks * 16), 0);
  p.multiplier.assign(size_t(p.blocks * 16), 0.0f);
  for (int64_t col = 0; col < m; ++col) {
    const int64_t j = col / 16, lane = col % 16;
    int32_t sum = 0;
    for (int64_t kk = 0; kk < k; ++kk) {
      const int8_t v = w[col * k + kk];
      sum += v;
      p.packed[size_t((j * k4 + kk / 4) * 64 + lane * 4 + kk % 4)] = v;
    }
    // sum (x + 128) * w - (128 + zx) * sum w = sum (x - zx) * w
    p.bias[size_t(col)] = (bias ? bias[col] : 0) - (128 + zx) * sum;
    p.multiplier[size_t(col)] = multiplier[size_t(col)];
  }
  return p;
}

std::vector<int8_t> qconv_vnni_patch_weights(const int8_t* w, int64_t m, int64_t c, int64_t kh,
                                             int64_t kw) {
  const int64_t row = (kw * c + 3) / 4 * 4, depth = kh * row;
  std::vector<int8_t> out(size_t(m * depth), 0);
  for (int64_t o = 0; o < m; ++o)
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t ky = 0; ky < kh; ++ky)
        for (int64_t kx = 0; kx < kw; ++kx)
          out[size_t(o * depth + ky * row + kx * c + ci)] = w[((o * c + ci) * kh + ky) * kw + kx];
  return out;
}

#if defined(__x86_64__)

bool qgemm_vnni_available() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  return ok;
}

// (maskz forms with a full mask: GCC 12 warns that the unmasked ones read an
// undefined vector when inlined into a target region.)
// The kernels below are compiled for AVX-512 VNNI (a target region, as the
// other per-level files: simd_target.h); only called where the CPU has it.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni")
#endif

namespace {

using qvnni::Epilogue;
using qvnni::gather_patches;
using qvnni::store_block;

constexpr int kMR = 8;         // rows per micro-tile (8 x 2 zmm accumulators)
constexpr int64_t kRows = 64;  // rows per task: its A block stays in L2 across column pairs

struct Job {
  const QGemmVnniWeights* w;
  const int8_t* a;
  int64_t a_stride, rows;
  int8_t* c;
  int64_t c_stride;
  int64_t row_base = 0;         // the output row of a's row 0 (for the residual)
  const Epilogue* e = nullptr;  // set by the task
};

// acc[b] += vpdpbusd(the 4 bytes at `four` broadcast and flipped to unsigned, bv[b])
// for NB blocks, as one asm block: with the intrinsic GCC 12 copies every accumulator
// twice per step (two zmm moves per vpdpbusd), which a Zen 5 core, whose two 512-bit
// pipes retire two vpdpbusd a cycle, pays for in issue slots
// (ResNet-50 int8 1.43x faster with this step there: docs/int8.md).
template <int NB>
inline void row_step(const int8_t* four, __m512i flip, const __m512i* bv, __m512i* acc);

template <>
inline void row_step<1>(const int8_t* four, __m512i flip, const __m512i* bv, __m512i* acc) {
  __m512i t;
  __asm__(
      "vpxord %[p]%{1to16%}, %[f], %[t]\n\t"
      "vpdpbusd %[b0], %[t], %[c0]"
      : [c0] "+v"(acc[0]), [t] "=&v"(t)
      : [p] "m"(*reinterpret_cast<const int32_t*>(four)), [f] "v"(flip), [b0] "v"(bv[0]));
}

template <>
inline void row_step<2>(const int8_t* four, __m512i flip, const __m512i* bv, __m512i* acc) {
  __m512i t;
  __asm__(
      "vpxord %[p]%{1to16%}, %[f], %[t]\n\t"
      "vpdpbusd %[b0], %[t], %[c0]\n\t"
      "vpdpbusd %[b1], %[t], %[c1]"
      : [c0] "+v"(acc[0]), [c1] "+v"(acc[1]), [t] "=&v"(t)
      : [p] "m"(*reinterpret_cast<const int32_t*>(four)), [f] "v"(flip), [b0] "v"(bv[0]),
        [b1] "v"(bv[1]));
}

// MR rows x NB column blocks (16 each) starting at block j.
template <int MR, int NB>
__attribute__((noinline)) void micro_tile(const Job& jb, int64_t r0, int64_t j) {
  const QGemmVnniWeights& w = *jb.w;
  const int64_t k4 = w.k / 4;
  __m512i acc[MR][NB];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
    for (int b = 0; b < NB; ++b)  // the sums start at the bias
      acc[r][b] = _mm512_loadu_si512(jb.e->bias + (j + b) * 16);
  const __m512i flip = _mm512_set1_epi32(int32_t(0x80808080u));
  const int8_t* bp = w.packed.data() + j * k4 * 64;
  const int8_t* ap = jb.a + r0 * jb.a_stride;
  for (int64_t q = 0; q < k4; ++q) {
    __m512i bv[NB];
#pragma GCC unroll 2
    for (int b = 0; b < NB; ++b) bv[b] = _mm512_loadu_si512(bp + (b * k4 + q) * 64);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) row_step<NB>(ap + r * jb.a_stride + q * 4, flip, bv, acc[r]);
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int b = 0; b < NB; ++b) {
      const int lanes = int(std::min<int64_t>(16, w.m - (j + b) * 16));
      store_block(*jb.e, j + b, acc[r][b], jb.c + (r0 + r) * jb.c_stride + (j + b) * 16, lanes,
                  jb.row_base + r0 + r);
    }
}

template <int NB>
void rows_tile(const Job& jb, int64_t r0, int64_t r1, int64_t j) {
  for_row_tiles<kMR>(r0, r1,
                     [&](auto mr, int64_t r) { micro_tile<decltype(mr)::value, NB>(jb, r, j); });
}

// Task (row block i, column pair jp).
void task(void* ctx, size_t i, size_t jp) {
  const Epilogue e(*static_cast<const Job*>(ctx)->w);
  Job jb = *static_cast<const Job*>(ctx);
  jb.e = &e;
  const int64_t r0 = int64_t(i) * kRows, r1 = std::min(jb.rows, r0 + kRows);
  const int64_t j = int64_t(jp) * 2;
  if (j + 1 < jb.w->blocks)
    rows_tile<2>(jb, r0, r1, j);
  else
    rows_tile<1>(jb, r0, r1, j);
}

constexpr int64_t kPatchRows = 16;

struct ConvJob {
  const QGemmVnniWeights* w;
  const QConvVnniGeometry* g;
  const int8_t* x;
  int8_t* y;
  int64_t rows;
};

void conv_task(void* ctx, size_t i) {
  const ConvJob& cj = *static_cast<const ConvJob*>(ctx);
  alignas(64) int8_t patch[kPatchRows * kQConvVnniMaxDepth];
  const int64_t r0 = int64_t(i) * kPatchRows, r1 = std::min(cj.rows, r0 + kPatchRows);
  const int64_t depth = cj.w->k;
  gather_patches(*cj.g, cj.x, r0, r1 - r0, patch, depth);
  const Epilogue e(*cj.w);
  const Job jb{cj.w, patch, depth, r1 - r0, cj.y + r0 * cj.w->m, cj.w->m, r0, &e};
  for (int64_t j = 0; j < cj.w->blocks; j += 2) {
    if (j + 1 < cj.w->blocks)
      rows_tile<2>(jb, 0, r1 - r0, j);
    else
      rows_tile<1>(jb, 0, r1 - r0, j);
  }
}

}  // namespace

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

void qgemm_vnni_run(const QGemmVnniWeights& w, const int8_t* a, int64_t a_stride, int64_t rows,
                    int8_t* c, int64_t c_stride, pthreadpool_t pool, uint32_t pool_flags) {
  Job jb{&w, a, a_stride, rows, c, c_stride};
  pthreadpool_parallelize_2d(pool, task, &jb, size_t((rows + kRows - 1) / kRows),
                             size_t((w.blocks + 1) / 2), pool_flags);
}

void qconv_vnni_run(const QGemmVnniWeights& w, const QConvVnniGeometry& g, const int8_t* x,
                    int8_t* y, pthreadpool_t pool, uint32_t pool_flags) {
  ConvJob cj{&w, &g, x, y, g.n * g.oh * g.ow};
  pthreadpool_parallelize_1d(pool, conv_task, &cj, size_t((cj.rows + kPatchRows - 1) / kPatchRows),
                             pool_flags);
}

#else

bool qgemm_vnni_available() {
  return false;
}
void qconv_vnni_run(const QGemmVnniWeights&, const QConvVnniGeometry&, const int8_t*, int8_t*,
                    pthreadpool_t, uint32_t) {}
void qgemm_vnni_run(const QGemmVnniWeights&, const int8_t*, int64_t, int64_t, int8_t*, int64_t,
                    pthreadpool_t, uint32_t) {}

#endif

}  // namespace tandem::cpu
