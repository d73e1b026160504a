#include "kernels/cpu/x86/qgemm_vnni.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
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

constexpr int kMR = 8;         // rows per micro-tile (8 x 2 zmm accumulators)
constexpr int64_t kRows = 64;  // rows per task: its A block stays in L2 across column pairs

struct Job {
  const QGemmVnniWeights* w;
  const int8_t* a;
  int64_t a_stride, rows;
  int8_t* c;
  int64_t c_stride;
  int64_t row_base = 0;  // the output row of a's row 0 (for the residual)
};

// The fused QAdd: rne(float(q - za) * fa + float(r - zb) * fb) + zc, saturated
// (separate multiply and add, as qmath::add_values: no fused multiply-add).
inline __m512i add_residual(const QGemmVnniWeights& w, __m512i q, const int8_t* r, __mmask16 mask) {
  const __m512 ta = _mm512_maskz_mul_ps(
      0xFFFF, _mm512_maskz_cvtepi32_ps(0xFFFF, _mm512_sub_epi32(q, _mm512_set1_epi32(w.add.za))),
      _mm512_set1_ps(w.add.fa));
  const __m512i rv = _mm512_maskz_cvtepi8_epi32(0xFFFF, _mm_maskz_loadu_epi8(mask, r));
  const __m512 tb = _mm512_maskz_mul_ps(
      0xFFFF, _mm512_maskz_cvtepi32_ps(0xFFFF, _mm512_sub_epi32(rv, _mm512_set1_epi32(w.add.zb))),
      _mm512_set1_ps(w.add.fb));
  __m512 f = _mm512_maskz_add_ps(0xFFFF, ta, tb);
  f = _mm512_maskz_max_ps(0xFFFF, f, _mm512_set1_ps(float(-128 - w.add.zy)));
  f = _mm512_maskz_min_ps(0xFFFF, f, _mm512_set1_ps(float(127 - w.add.zy)));
  return _mm512_add_epi32(_mm512_maskz_cvtps_epi32(0xFFFF, f), _mm512_set1_epi32(w.add.zy));
}

// Requantizes 16 sums of column block j (output row `row`) and stores `lanes` of them.
inline void store_block(const QGemmVnniWeights& w, int64_t j, __m512i acc, int8_t* c, int lanes,
                        int64_t row) {
  acc = _mm512_add_epi32(acc, _mm512_loadu_si512(w.bias.data() + j * 16));
  __m512 f = _mm512_maskz_mul_ps(0xFFFF, _mm512_maskz_cvtepi32_ps(0xFFFF, acc),
                                 _mm512_loadu_ps(w.multiplier.data() + j * 16));
  f = _mm512_maskz_max_ps(0xFFFF, f, _mm512_set1_ps(float(w.lo - w.zy)));
  f = _mm512_maskz_min_ps(0xFFFF, f, _mm512_set1_ps(float(w.hi - w.zy)));
  __m512i q = _mm512_add_epi32(_mm512_maskz_cvtps_epi32(0xFFFF, f), _mm512_set1_epi32(w.zy));
  const __mmask16 mask = lanes >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << lanes) - 1);
  if (w.residual) q = add_residual(w, q, w.residual + row * w.m + j * 16, mask);
  _mm512_mask_cvtsepi32_storeu_epi8(c, mask, q);
}

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
    for (int b = 0; b < NB; ++b) acc[r][b] = _mm512_setzero_si512();
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
      store_block(w, j + b, acc[r][b], jb.c + (r0 + r) * jb.c_stride + (j + b) * 16, lanes,
                  jb.row_base + r0 + r);
    }
}

template <int NB>
void rows_tile(const Job& jb, int64_t r0, int64_t r1, int64_t j) {
  int64_t r = r0;
  for (; r + kMR <= r1; r += kMR) micro_tile<kMR, NB>(jb, r, j);
  switch (r1 - r) {
    case 7:
      return micro_tile<7, NB>(jb, r, j);
    case 6:
      return micro_tile<6, NB>(jb, r, j);
    case 5:
      return micro_tile<5, NB>(jb, r, j);
    case 4:
      return micro_tile<4, NB>(jb, r, j);
    case 3:
      return micro_tile<3, NB>(jb, r, j);
    case 2:
      return micro_tile<2, NB>(jb, r, j);
    case 1:
      return micro_tile<1, NB>(jb, r, j);
    default:
      return;
  }
}

// Task (row block i, column pair jp).
void task(void* ctx, size_t i, size_t jp) {
  const Job& jb = *static_cast<const Job*>(ctx);
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

// n bytes from src to dst (n up to a patch row, a few hundred): vector moves, the
// tail as one move overlapping the last, no library call.
inline void copy_bytes(int8_t* dst, const int8_t* src, int64_t n) {
  if (n >= 32) {
    int64_t i = 0;
    for (; i + 32 <= n; i += 32)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i),
                          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i)));
    if (i < n)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + n - 32),
                          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + n - 32)));
  } else if (n >= 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + n - 16));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), a);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + n - 16), b);
  } else if (n >= 8) {
    uint64_t a, b;
    __builtin_memcpy(&a, src, 8), __builtin_memcpy(&b, src + n - 8, 8);
    __builtin_memcpy(dst, &a, 8), __builtin_memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    __builtin_memcpy(&a, src, 4), __builtin_memcpy(&b, src + n - 4, 4);
    __builtin_memcpy(dst, &a, 4), __builtin_memcpy(dst + n - 4, &b, 4);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

// n bytes of value v at dst.
inline void fill_bytes(int8_t* dst, int8_t v, int64_t n) {
  const __m256i b = _mm256_set1_epi8(v);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), b);
  for (; i < n; ++i) dst[i] = v;
}

// The patch of the output pixel at (ox, oy) of the image at xi: the zero point
// where the window leaves the input and in each row's padding. (g by value: int8
// stores may alias a reference, which would reload every field after each one.)
inline void gather_patch(const QConvVnniGeometry g, const int8_t* xi, int64_t ox, int64_t oy,
                         int8_t* dst) {
  const int8_t zx = int8_t(g.zx);
  const int64_t row = g.row(), run = g.kw * g.c;
  const int64_t ix0 = ox * g.sw - g.pl, ix1 = ix0 + (g.kw - 1) * g.dw;
  const bool inside = g.dw == 1 && ix0 >= 0 && ix1 < g.w;  // each row one contiguous run
  for (int64_t ky = 0; ky < g.kh; ++ky, dst += row) {
    const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
    if (iy < 0 || iy >= g.h) {
      fill_bytes(dst, zx, row);
      continue;
    }
    const int8_t* src = xi + iy * g.w * g.c;
    if (row > run) {  // first, so the copy overwrites what it covers of these 4 bytes
      const uint32_t pad = 0x01010101u * uint8_t(zx);
      __builtin_memcpy(dst + row - 4, &pad, 4);
    }
    if (inside) {
      copy_bytes(dst, src + ix0 * g.c, run);
    } else {
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        const int64_t ix = ix0 + kx * g.dw;
        if (ix < 0 || ix >= g.w)
          fill_bytes(dst + kx * g.c, zx, g.c);
        else
          copy_bytes(dst + kx * g.c, src + ix * g.c, g.c);
      }
    }
  }
}

// Output pixels [p0, p0 + count) into rows of `depth` bytes at dst: the pixel's
// coordinates divided out once, then stepped.
void gather_patches(const QConvVnniGeometry g, const int8_t* x, int64_t p0, int64_t count,
                    int8_t* dst) {
  const int64_t depth = g.depth(), image = g.h * g.w * g.c;
  int64_t ox = p0 % g.ow, oy = (p0 / g.ow) % g.oh, img = p0 / (g.ow * g.oh);
  for (int64_t i = 0; i < count; ++i, dst += depth) {
    gather_patch(g, x + img * image, ox, oy, dst);
    if (++ox == g.ow) {
      ox = 0;
      if (++oy == g.oh) oy = 0, ++img;
    }
  }
}

void conv_task(void* ctx, size_t i) {
  const ConvJob& cj = *static_cast<const ConvJob*>(ctx);
  alignas(64) int8_t patch[kPatchRows * kQConvVnniMaxDepth];
  const int64_t r0 = int64_t(i) * kPatchRows, r1 = std::min(cj.rows, r0 + kPatchRows);
  const int64_t depth = cj.w->k;
  gather_patches(*cj.g, cj.x, r0, r1 - r0, patch);
  const Job jb{cj.w, patch, depth, r1 - r0, cj.y + r0 * cj.w->m, cj.w->m, r0};
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
