// DwConvRows::row_from over the SIMD layer `S` (Avx512F32 or Avx2F32), included
// by dwconv_avx512.cc and dwconv_avx2.cc inside their target region and per-ISA
// namespace (see simd_avx512.h); needs <algorithm> and dwconv_rows.h before it.
//
// Four output pixels at a time for every channel block of S::kLanes: a kernel
// row's taps are loaded once per four outputs and each input vector feeds up to K
// of them; border columns and rows outside the image read a zero row, so borders
// take the same arithmetic (a border group looks its columns' addresses up once).
// Full blocks load and store whole vectors, the last block (C not a multiple of
// the lanes) through masks. The arithmetic order (bias, then taps row by row, one
// FMA each, then the clamp) is the same on every level, so a level's results do
// not depend on the vector width. (Walking a row once per channel block instead of
// all blocks per pixel group measured 5-20% slower on AVX-512.) The per-block
// bodies are inlined into their block loops: as calls they cost AVX-512 15-20% on
// 112x112 and 28x28 layers.

// Whether a block's accumulators, taps and input columns (kCols) all fit the
// register file (32 zmm, 16 ymm).
template <class S, int K, int kCols>
constexpr bool dw_fits_registers() {
  return 4 + K + kCols <= (S::kLanes == 16 ? 32 : 16);
}

// An input vector. Where the block fits the register file (kPin), loaded once
// into a register: a plain load would otherwise be folded into each of the up to
// K FMAs that read it (measured on AVX-512: 15-35% slower than the masked loads
// it replaced, which cannot fold; AVX2 3x3 0.68-0.94x on MobileNetV2's 56x56-7x7
// layers); elsewhere folding saves spills (AVX2 5x5 measured 0.83-1.04x folded).
template <class S, bool kTail, bool kPin>
__attribute__((always_inline)) inline typename S::V dw_load(typename S::Mask m, const float* p) {
  typename S::V v;
  if constexpr (kTail) {
    v = S::load_mask(m, p);
  } else {
    (void)m;
    v = S::loadu(p);
  }
  if constexpr (kPin) __asm__("" : "+v"(v));
  return v;
}

template <class S, bool kTail>
inline void dw_store(typename S::Mask m, float* p, typename S::V v) {
  if constexpr (kTail) {
    S::store_mask(m, p, v);
  } else {
    (void)m;
    S::storeu(p, v);
  }
}

// Output pixels ox .. ox + n - 1 (n <= 4) of the channel block at c0, any
// position: src[ky][i] is input column i of kernel row ky (channel 0), or the
// zero row for a column outside the image.
template <class S, int K, bool kTail>
__attribute__((always_inline)) inline void dw_group_block(const DwConvPacked& p, int64_t c0,
                                                          typename S::Mask m,
                                                          const float* const (*src)[6 + K],
                                                          int64_t n, float* out,
                                                          int64_t out_stride) {
  using V = typename S::V;
  const int64_t s = p.q.sw;
  constexpr int kCols = 6 + K;  // enough for four outputs at stride 2
  const float* blk = p.w + c0 * (K * K + 1);
  V acc[4];
  const V bias = S::loadu(blk + K * K * S::kLanes);
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) acc[j] = bias;
  for (int ky = 0; ky < K; ++ky) {
    V w[K];
#pragma GCC unroll 7
    for (int kx = 0; kx < K; ++kx) w[kx] = S::loadu(blk + (ky * K + kx) * S::kLanes);
    V in[kCols];
#pragma GCC unroll 13
    for (int i = 0; i < kCols; ++i)
      in[i] = dw_load<S, kTail, dw_fits_registers<S, K, kCols>()>(m, src[ky][i] + c0);
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j)
#pragma GCC unroll 7
      for (int kx = 0; kx < K; ++kx)
        acc[j] = S::fmadd(in[s == 1 ? j + kx : 2 * j + kx], w[kx], acc[j]);
  }
  const V lo = S::set1(p.lo), hi = S::set1(p.hi);
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {
    if (j >= n) break;
    dw_store<S, kTail>(m, out + j * out_stride + c0, S::clamp(acc[j], lo, hi));
  }
}

// Four pixels whose taps are all inside the image (no column checks).
template <class S, int K, int St, bool kTail>
__attribute__((always_inline)) inline void dw_quad_block(const DwConvPacked& p, int64_t c0,
                                                         typename S::Mask m, int64_t base,
                                                         const float* const* rows,
                                                         int64_t in_stride, float* out,
                                                         int64_t out_stride) {
  using V = typename S::V;
  constexpr int kCols = 3 * St + K;
  const float* blk = p.w + c0 * (K * K + 1);
  V acc[4];
  const V bias = S::loadu(blk + K * K * S::kLanes);
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) acc[j] = bias;
#pragma GCC unroll 7
  for (int ky = 0; ky < K; ++ky) {
    const float* r = rows[ky] + base + c0;
    V w[K];
#pragma GCC unroll 7
    for (int kx = 0; kx < K; ++kx) w[kx] = S::loadu(blk + (ky * K + kx) * S::kLanes);
    V in[kCols];
#pragma GCC unroll 13
    for (int i = 0; i < kCols; ++i)
      in[i] = dw_load<S, kTail, dw_fits_registers<S, K, kCols>()>(m, r + i * in_stride);
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j)
#pragma GCC unroll 7
      for (int kx = 0; kx < K; ++kx) acc[j] = S::fmadd(in[St * j + kx], w[kx], acc[j]);
  }
  const V lo = S::set1(p.lo), hi = S::set1(p.hi);
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j)
    dw_store<S, kTail>(m, out + j * out_stride + c0, S::clamp(acc[j], lo, hi));
}

// Every channel block of pixels ox .. ox + n - 1: the full ones, then the tail.
template <class S, int K>
void dw_group(const DwConvPacked& p, int64_t ox, int64_t n, const float* const* rows,
              int64_t in_stride, float* out, int64_t out_stride) {
  constexpr int kCols = 6 + K;
  const int64_t ix0 = ox * p.q.sw - p.q.pl;
  // The columns' addresses once for all blocks: columns outside the image read
  // the zero row (as wide as an input row, so every block's channels are zeros).
  const float* src[K][kCols];
  for (int ky = 0; ky < K; ++ky)
    for (int i = 0; i < kCols; ++i)
      src[ky][i] = ix0 + i >= 0 && ix0 + i < p.q.w ? rows[ky] + (ix0 + i) * in_stride : p.zeros;
  const int64_t full = p.q.c / S::kLanes;
  const typename S::Mask m = S::mask(p.q.c - full * S::kLanes);
  for (int64_t b = 0; b < full; ++b)
    dw_group_block<S, K, false>(p, b * S::kLanes, m, src, n, out, out_stride);
  if (full < p.blocks) dw_group_block<S, K, true>(p, full * S::kLanes, m, src, n, out, out_stride);
}

template <class S, int K, int St>
void dw_interior_quad(const DwConvPacked& p, int64_t ox, const float* const* rows,
                      int64_t in_stride, float* out, int64_t out_stride) {
  const int64_t base = (ox * St - p.q.pl) * in_stride;
  const int64_t full = p.q.c / S::kLanes;
  const typename S::Mask m = S::mask(p.q.c - full * S::kLanes);
  for (int64_t b = 0; b < full; ++b)
    dw_quad_block<S, K, St, false>(p, b * S::kLanes, m, base, rows, in_stride, out, out_stride);
  if (full < p.blocks)
    dw_quad_block<S, K, St, true>(p, full * S::kLanes, m, base, rows, in_stride, out, out_stride);
}

template <class S, int K, int St>
void dw_row_k(const DwConvPacked& p, const float* const* rows, int64_t in_stride, int64_t ox0,
              int64_t ox1, float* out, int64_t out_stride) {
  const ConvGeometry& q = p.q;
  // Output columns whose K taps are all inside the image, within [ox0, ox1).
  const int64_t last = q.w - K + q.pl;  // the largest ox * St with all taps inside
  int64_t ox_lo = std::min(q.ow, (q.pl + St - 1) / St);
  int64_t ox_hi = last < 0 ? ox_lo : std::max(ox_lo, std::min(q.ow, last / St + 1));
  ox_lo = std::clamp(ox_lo, ox0, ox1);
  ox_hi = std::clamp(ox_hi, ox_lo, ox1);
  auto at = [&](int64_t ox) { return out + (ox - ox0) * out_stride; };
  // Pixel groups outer, channel blocks inner: a group's inputs are contiguous runs
  // of channels that stream through L1.
  int64_t ox = ox0;
  for (; ox < ox_lo; ox += 4)  // left border (with the first interior pixels)
    dw_group<S, K>(p, ox, std::min<int64_t>(4, ox1 - ox), rows, in_stride, at(ox), out_stride);
  for (; ox + 4 <= ox_hi; ox += 4)
    dw_interior_quad<S, K, St>(p, ox, rows, in_stride, at(ox), out_stride);
  for (; ox < ox1; ox += 4)  // the rest and the right border
    dw_group<S, K>(p, ox, std::min<int64_t>(4, ox1 - ox), rows, in_stride, at(ox), out_stride);
}

template <class S>
void dw_row_from(const DwConvPacked& p, const float* const* rows, int64_t in_stride, int64_t ox0,
                 int64_t ox1, float* out, int64_t out_stride) {
  const bool s1 = p.q.sw == 1;
  if (p.q.kw == 3)
    s1 ? dw_row_k<S, 3, 1>(p, rows, in_stride, ox0, ox1, out, out_stride)
       : dw_row_k<S, 3, 2>(p, rows, in_stride, ox0, ox1, out, out_stride);
  else if (p.q.kw == 5)
    s1 ? dw_row_k<S, 5, 1>(p, rows, in_stride, ox0, ox1, out, out_stride)
       : dw_row_k<S, 5, 2>(p, rows, in_stride, ox0, ox1, out, out_stride);
  else
    s1 ? dw_row_k<S, 7, 1>(p, rows, in_stride, ox0, ox1, out, out_stride)
       : dw_row_k<S, 7, 2>(p, rows, in_stride, ox0, ox1, out, out_stride);
}
