// The AVX2 int8 GEMM's pieces that the Winograd conv shares (x86/qgemm_avx2.cc,
// x86/qwinograd_avx2.cc): the k step of one row as one asm block and the
// requantizing epilogue (docs/int8.md: bit-identical to the reference).
// Only for x86-64 files, after immintrin.h; compiled for AVX2 + FMA.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/cpu/x86/qgemm_avx2.h"
#include "kernels/cpu/x86/simd_target.h"

TANDEM_SIMD_BEGIN_AVX2

namespace tandem::cpu::qavx2 {

// A task's scratch of `elems` T: thread-local (too big for a worker's stack), grown
// once per thread to the largest a task asked for. One per T across the kernels that
// include this: a thread runs one kernel's task at a time.
template <class T>
T* thread_buffer(size_t elems) {
  thread_local std::vector<T> buf;
  if (buf.size() < elems) buf.resize(elems);
  return buf.data();
}

// An opaque copy: keeps the compiler from fusing a product into the following add
// (GCC contracts a * b + c into an FMA in this target region otherwise).
inline __m256 opaque(__m256 v) {
  __asm__("" : "+x"(v));
  return v;
}

// NB x 8 int32 -> int8 with saturation, in lane order (NB = 2: 16 bytes).
template <int NB>
inline __m128i pack(const __m256i* q) {
  if constexpr (NB == 1) {
    const __m128i h =
        _mm_packs_epi32(_mm256_castsi256_si128(q[0]), _mm256_extracti128_si256(q[0], 1));
    return _mm_packs_epi16(h, h);
  } else {
    // [q0 0-3, q1 0-3 | q0 4-7, q1 4-7] -> [q0 0-7 | q1 0-7] as int16, then bytes
    const __m256i h = _mm256_permute4x64_epi64(_mm256_packs_epi32(q[0], q[1]), 0xD8);
    return _mm_packs_epi16(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
  }
}

// n (<= 16) bytes at p, the rest of the vector zero.
inline __m128i load_bytes(const int8_t* p, int n) {
  if (n == 16) return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  if (n == 8) return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  alignas(16) int8_t buf[16] = {};
  std::memcpy(buf, p, size_t(n));
  return _mm_load_si128(reinterpret_cast<const __m128i*>(buf));
}

// The first n (<= 16) bytes of v to p.
inline void store_bytes(int8_t* p, __m128i v, int n) {
  if (n == 16) return _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
  if (n == 8) return _mm_storel_epi64(reinterpret_cast<__m128i*>(p), v);
  alignas(16) int8_t buf[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(buf), v);
  std::memcpy(p, buf, size_t(n));
}

// The epilogue's constants as vectors, made once per task: the int8 stores may alias
// the weights object, so reading its fields per block reloads and converts them.
struct Epilogue {
  const int32_t* bias;
  const float* mult;
  const int8_t* residual;  // the fused QAdd's other operand, rows of m; null: none
  int64_t m;
  __m256 lo, hi;  // the clamp less zy
  __m256i zy;
  __m256 fa, fb, rlo, rhi;  // the QAdd's factors and clamp less zc
  __m256i zy_za, zb, zc;    // zy - za: the conv's output less the QAdd's zero point
  explicit Epilogue(const QGemmAvx2Weights& w)
      : bias(w.bias.data()),
        mult(w.multiplier.data()),
        residual(w.residual),
        m(w.m),
        lo(_mm256_set1_ps(float(w.lo - w.zy))),
        hi(_mm256_set1_ps(float(w.hi - w.zy))),
        zy(_mm256_set1_epi32(w.zy)),
        fa(_mm256_set1_ps(w.add.fa)),
        fb(_mm256_set1_ps(w.add.fb)),
        rlo(_mm256_set1_ps(float(-128 - w.add.zy))),
        rhi(_mm256_set1_ps(float(127 - w.add.zy))),
        zy_za(_mm256_set1_epi32(w.zy - w.add.za)),
        zb(_mm256_set1_epi32(w.add.zb)),
        zc(_mm256_set1_epi32(w.add.zy)) {}
};

// The 8 sums of column block j (bias included) requantized, less zy:
// rne(clamp(float(acc) * M)).
inline __m256i requantize(const Epilogue& e, int64_t j, __m256i acc) {
  const __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(e.mult + j * 8));
  return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(f, e.lo), e.hi));
}

// The fused QAdd of q (the conv's output less zy) and 8 residual values r:
// rne(float(q + zy - za) * fa + float(r - zb) * fb) + zc, saturated (separate multiply
// and add, as qmath::add_values: no fused multiply-add).
inline __m256i add_residual(const Epilogue& e, __m256i q, __m128i r) {
  const __m256i rv = _mm256_cvtepi8_epi32(r);
  const __m256 ta = opaque(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(q, e.zy_za)), e.fa));
  const __m256 tb = opaque(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(rv, e.zb)), e.fb));
  const __m256 f = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(ta, tb), e.rlo), e.rhi);
  return _mm256_add_epi32(_mm256_cvtps_epi32(f), e.zc);
}

// Requantizes one row's NB blocks of sums from column block j (output row `row`) and
// stores the first n bytes (8 * NB but for the last block's tail).
template <int NB>
inline void store_row(const Epilogue& e, int64_t j, const __m256i* acc, int8_t* c, int n,
                      int64_t row) {
  __m256i q[NB];
  for (int b = 0; b < NB; ++b) q[b] = requantize(e, j + b, acc[b]);
  if (e.residual) {
    const __m128i r = load_bytes(e.residual + row * e.m + j * 8, n);
    q[0] = add_residual(e, q[0], r);
    if constexpr (NB == 2) q[1] = add_residual(e, q[1], _mm_srli_si128(r, 8));
  } else {
    for (int b = 0; b < NB; ++b) q[b] = _mm256_add_epi32(q[b], e.zy);
  }
  store_bytes(c, pack<NB>(q), n);
}

// acc[b] += vpmaddwd(the int32 at `pair` broadcast, bv[b]) for NB blocks, as one asm
// block: with intrinsics GCC hoists the broadcasts of all rows, keeps each sum in two
// registers and spills the accumulators (madd and add are not one instruction).
template <int NB>
inline void row_step(const int16_t* pair, const __m256i* bv, __m256i* acc);

template <>
inline void row_step<1>(const int16_t* pair, const __m256i* bv, __m256i* acc) {
  __m256i t;
  __asm__(
      "vpbroadcastd %[p], %[t]\n\t"
      "vpmaddwd %[b0], %[t], %[t]\n\t"
      "vpaddd %[t], %[c0], %[c0]"
      : [c0] "+x"(acc[0]), [t] "=&x"(t)
      : [p] "m"(*reinterpret_cast<const int32_t*>(pair)), [b0] "x"(bv[0]));
}

template <>
inline void row_step<2>(const int16_t* pair, const __m256i* bv, __m256i* acc) {
  __m256i t, u;
  __asm__(
      "vpbroadcastd %[p], %[t]\n\t"
      "vpmaddwd %[b0], %[t], %[u]\n\t"
      "vpmaddwd %[b1], %[t], %[t]\n\t"
      "vpaddd %[u], %[c0], %[c0]\n\t"
      "vpaddd %[t], %[c1], %[c1]"
      : [c0] "+x"(acc[0]), [c1] "+x"(acc[1]), [t] "=&x"(t), [u] "=&x"(u)
      : [p] "m"(*reinterpret_cast<const int32_t*>(pair)), [b0] "x"(bv[0]), [b1] "x"(bv[1]));
}

}  // namespace tandem::cpu::qavx2

TANDEM_SIMD_END
