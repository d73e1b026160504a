// The AVX-512 int8 GEMMs' shared pieces (x86/qgemm_vnni.cc, x86/qgemm_amx.cc): the
// requantizing epilogue (docs/int8.md: bit-identical to the reference) and the patch
// gather. x86-64 only; compiled for AVX-512 F/BW/VL (a target region of its own).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/x86/qgemm_vnni.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl")
#endif

namespace tandem::cpu::qvnni {

// The epilogue's constants as vectors, made once per task: the int8 stores may alias
// the weights object, so reading its fields per block made GCC reload and convert
// them for every block (four scalar int -> float conversions and a dozen broadcasts
// per 16 outputs, more than the k loop's work on 64-deep layers).
struct Epilogue {
  const int32_t* bias;
  const float* mult;
  const int8_t* residual;  // the fused QAdd's other operand, rows of m; null: none
  int64_t m;
  __m512 lo, hi;  // the clamp less zy
  __m512i zy;
  __m512 fa, fb, rlo, rhi;  // the QAdd's factors and clamp less its zc
  __m512i zy_za, zb, zc;    // zy - za: the conv's output less the QAdd's zero point
  explicit Epilogue(const QGemmVnniWeights& w)
      : bias(w.bias.data()),
        mult(w.multiplier.data()),
        residual(w.residual),
        m(w.m),
        lo(_mm512_set1_ps(float(w.lo - w.zy))),
        hi(_mm512_set1_ps(float(w.hi - w.zy))),
        zy(_mm512_set1_epi32(w.zy)),
        fa(_mm512_set1_ps(w.add.fa)),
        fb(_mm512_set1_ps(w.add.fb)),
        rlo(_mm512_set1_ps(float(-128 - w.add.zy))),
        rhi(_mm512_set1_ps(float(127 - w.add.zy))),
        zy_za(_mm512_set1_epi32(w.zy - w.add.za)),
        zb(_mm512_set1_epi32(w.add.zb)),
        zc(_mm512_set1_epi32(w.add.zy)) {}
};

// The fused QAdd of q (the conv's output less zy) and 16 residual values at r:
// rne(float(q + zy - za) * fa + float(r - zb) * fb) + zc, saturated (separate multiply
// and add, as qmath::add_values: no fused multiply-add).
inline __m512i add_residual(const Epilogue& e, __m512i q, const int8_t* r, __mmask16 mask) {
  const __m512 ta = _mm512_maskz_mul_ps(
      0xFFFF, _mm512_maskz_cvtepi32_ps(0xFFFF, _mm512_add_epi32(q, e.zy_za)), e.fa);
  const __m512i rv = _mm512_maskz_cvtepi8_epi32(0xFFFF, _mm_maskz_loadu_epi8(mask, r));
  const __m512 tb = _mm512_maskz_mul_ps(
      0xFFFF, _mm512_maskz_cvtepi32_ps(0xFFFF, _mm512_sub_epi32(rv, e.zb)), e.fb);
  __m512 f = _mm512_maskz_add_ps(0xFFFF, ta, tb);
  f = _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, f, e.rlo), e.rhi);
  return _mm512_add_epi32(_mm512_maskz_cvtps_epi32(0xFFFF, f), e.zc);
}

// Requantizes 16 sums of column block j (bias included; output row `row`) and stores
// `lanes` of them.
inline void store_block(const Epilogue& e, int64_t j, __m512i acc, int8_t* c, int lanes,
                        int64_t row) {
  __m512 f = _mm512_maskz_mul_ps(0xFFFF, _mm512_maskz_cvtepi32_ps(0xFFFF, acc),
                                 _mm512_loadu_ps(e.mult + j * 16));
  f = _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, f, e.lo), e.hi);
  __m512i q = _mm512_maskz_cvtps_epi32(0xFFFF, f);  // less zy
  const __mmask16 mask = lanes >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << lanes) - 1);
  if (e.residual)
    q = add_residual(e, q, e.residual + row * e.m + j * 16, mask);
  else
    q = _mm512_add_epi32(q, e.zy);
  _mm512_mask_cvtsepi32_storeu_epi8(c, mask, q);
}

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

// Output pixels [p0, p0 + count) into rows of `stride` bytes at dst (depth() used):
// the pixel's coordinates divided out once, then stepped.
inline void gather_patches(const QConvVnniGeometry g, const int8_t* x, int64_t p0, int64_t count,
                           int8_t* dst, int64_t stride) {
  const int64_t image = g.h * g.w * g.c;
  int64_t ox = p0 % g.ow, oy = (p0 / g.ow) % g.oh, img = p0 / (g.ow * g.oh);
  for (int64_t i = 0; i < count; ++i, dst += stride) {
    gather_patch(g, x + img * image, ox, oy, dst);
    if (++ox == g.ow) {
      ox = 0;
      if (++oy == g.oh) oy = 0, ++img;
    }
  }
}

}  // namespace tandem::cpu::qvnni

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
