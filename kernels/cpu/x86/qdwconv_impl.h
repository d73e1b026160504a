// The int8 depthwise loop (qdwconv.h) over a thin SIMD layer `Q`, included by
// qdwconv_avx512.cc and qdwconv_avx2.cc inside their target region and per-ISA
// namespace (as dwconv_rows_impl.h); needs <algorithm> and qdwconv.h before it.
//
// Q is the level's float layer (Avx512F32, Avx2F32: V, set1, loadu, fmadd, mul,
// min, max) plus the int8 / int32 members this loop needs:
//   I                        int32 vector of kLanes lanes
//   Mask, mask(n)            the first n channels of a block
//   load_x<kTail>(p, m)      kLanes int8 at p as floats (kTail: only those in m)
//   loadi(p), set1i(v)       int32 vectors
//   to_int(f), to_float(i)   cvtps2dq (round half to even), cvtdq2ps
//   addi(a, b)               int32 add
//   store_y<kTail>(p, m, i)  int32 lanes to int8 (saturated; kTail: those in m)

struct QDwJob {
  const QDwWeights* w;
  const QDwGeometry* g;
  const int8_t* x;
  int8_t* y;
};

// A block's constants for one output row: kLanes channels from c0 (`m`: those
// that exist), the K x K weight vectors (held in registers where they fit).
template <class Q, int K>
struct QDwBlock {
  using V = typename Q::V;
  using I = typename Q::I;
  typename Q::Mask m;
  V wv[K * K];
  I bias, zy;
  V mult, lo, hi, zx;
  QDwBlock(const QDwWeights& w, const QDwGeometry& g, int64_t c0, typename Q::Mask mask) : m(mask) {
    for (int t = 0; t < K * K; ++t) wv[t] = Q::loadu(w.w.data() + t * w.cpad + c0);
    bias = Q::loadi(w.bias.data() + c0);
    mult = Q::loadu(w.multiplier.data() + c0);
    lo = Q::set1(float(w.lo - w.zy)), hi = Q::set1(float(w.hi - w.zy));
    zy = Q::set1i(w.zy);
    zx = Q::set1(float(g.zx));
  }
};

// The sum is an exact integer in float; the epilogue multiplies (nothing is added
// to the product in float, so no FMA can form), clamps, rounds and adds zy.
template <class Q, int K, bool kTail>
__attribute__((always_inline)) inline void qdw_store(const QDwBlock<Q, K>& b, int8_t* y,
                                                     typename Q::V acc) {
  const typename Q::I sum = Q::addi(Q::to_int(acc), b.bias);
  const typename Q::V f = Q::min(Q::max(Q::mul(Q::to_float(sum), b.mult), b.lo), b.hi);
  Q::template store_y<kTail>(y, b.m, Q::addi(Q::to_int(f), b.zy));
}

// The K input rows an output row reads, at the block's first channel (rows
// outside the input point at the zx row, so only columns need a border test).
template <int K>
struct QDwRows {
  const int8_t* r[K];
};

// One output pixel whose columns may leave the input (those taps read zx): one
// test per column, the taps summed column by column (any order is exact).
template <class Q, int K, bool kTail>
__attribute__((always_inline)) inline typename Q::V qdw_border(const QDwBlock<Q, K>& b,
                                                               const QDwGeometry& g,
                                                               const QDwRows<K>& rows,
                                                               int64_t ix0) {
  typename Q::V acc = Q::zero();
  for (int kx = 0; kx < K; ++kx) {
    const int64_t ix = ix0 + kx;
    if (ix >= 0 && ix < g.w) {
      for (int ky = 0; ky < K; ++ky)
        acc =
            Q::fmadd(Q::template load_x<kTail>(rows.r[ky] + ix * g.c, b.m), b.wv[ky * K + kx], acc);
    } else {
      for (int ky = 0; ky < K; ++ky) acc = Q::fmadd(b.zx, b.wv[ky * K + kx], acc);
    }
  }
  return acc;
}

// kN adjacent output pixels at stride kS whose columns lie inside the input, the
// first one's left tap at input column ix0: each input column of a kernel row is
// converted once and feeds every pixel that reads it, and the kN sums are
// independent chains.
template <class Q, int K, int kN, int kS, bool kTail>
__attribute__((always_inline)) inline void qdw_group(const QDwBlock<Q, K>& b,
                                                     const QDwRows<K>& rows, int64_t ix0,
                                                     int64_t col, typename Q::V* acc) {
  for (int n = 0; n < kN; ++n) acc[n] = Q::zero();
  for (int ky = 0; ky < K; ++ky) {
    const int8_t* p = rows.r[ky] + ix0 * col;
    for (int i = 0; i < (kN - 1) * kS + K; ++i) {
      const typename Q::V xv = Q::template load_x<kTail>(p + i * col, b.m);
      for (int n = 0; n < kN; ++n) {
        const int kx = i - n * kS;
        if (kx >= 0 && kx < K) acc[n] = Q::fmadd(xv, b.wv[ky * K + kx], acc[n]);
      }
    }
  }
}

// One output row of one channel block: pixels whose columns all lie inside the
// input kN at a time (strides 1 and 2; kS = 0: other strides, one at a time), the
// rest through qdw_border.
template <class Q, int K, int kS, bool kTail>
void qdw_row_block(const QDwJob& j, int64_t img, int64_t oy, int64_t c0, typename Q::Mask m) {
  // (AVX-512 8 at a time measured 0.6x; AVX2 6 at stride 1 no faster on 112x112 to
  // 14x14 layers and slower on 7x7 ones, whose 5 interior pixels then go singly.)
  constexpr int kN = 4;
  const QDwGeometry g = *j.g;
  const QDwBlock<Q, K> b(*j.w, g, c0, m);
  QDwRows<K> rows;
  for (int ky = 0; ky < K; ++ky) {
    const int64_t iy = oy * g.sh - g.pt + ky;
    rows.r[ky] =
        (iy >= 0 && iy < g.h ? j.x + ((img * g.h + iy) * g.w) * g.c : j.w->zx_row.data()) + c0;
  }
  int8_t* y = j.y + (img * g.oh + oy) * g.ow * g.c + c0;
  // Interior columns: ox * sw - pl in [0, w - K].
  const int64_t in0 = std::min(g.ow, (g.pl + g.sw - 1) / g.sw);
  const int64_t in1 = g.w - K + g.pl >= 0 ? std::min(g.ow, (g.w - K + g.pl) / g.sw + 1) : 0;
  for (int64_t ox = 0; ox < g.ow;) {
    const int64_t ix0 = ox * g.sw - g.pl;
    if constexpr (kS > 0) {
      if (ox >= in0 && ox + kN <= in1) {
        typename Q::V acc[kN];
        qdw_group<Q, K, kN, kS, kTail>(b, rows, ix0, g.c, acc);
        for (int n = 0; n < kN; ++n) qdw_store<Q, K, kTail>(b, y + (ox + n) * g.c, acc[n]);
        ox += kN;
        continue;
      }
    }
    typename Q::V acc[1];
    if (ox >= in0 && ox < in1)
      qdw_group<Q, K, 1, 1, kTail>(b, rows, ix0, g.c, acc);
    else
      acc[0] = qdw_border<Q, K, kTail>(b, g, rows, ix0);
    qdw_store<Q, K, kTail>(b, y + ox * g.c, acc[0]);
    ++ox;
  }
}

// The row block for the conv's kernel size and stride.
template <class Q, bool kTail>
inline void qdw_row_blocks(const QDwJob& j, int64_t img, int64_t oy, int64_t c0,
                           typename Q::Mask m) {
  const int64_t k = j.g->kh, s = j.g->sw;
  if (k == 3)
    s == 1   ? qdw_row_block<Q, 3, 1, kTail>(j, img, oy, c0, m)
    : s == 2 ? qdw_row_block<Q, 3, 2, kTail>(j, img, oy, c0, m)
             : qdw_row_block<Q, 3, 0, kTail>(j, img, oy, c0, m);
  else
    s == 1   ? qdw_row_block<Q, 5, 1, kTail>(j, img, oy, c0, m)
    : s == 2 ? qdw_row_block<Q, 5, 2, kTail>(j, img, oy, c0, m)
             : qdw_row_block<Q, 5, 0, kTail>(j, img, oy, c0, m);
}

// Task: one output row of one image, all channel blocks.
template <class Q>
void qdw_row_task(void* ctx, size_t index) {
  const QDwJob& j = *static_cast<const QDwJob*>(ctx);
  const QDwGeometry& g = *j.g;
  const int64_t img = int64_t(index) / g.oh, oy = int64_t(index) % g.oh;
  for (int64_t c0 = 0; c0 < g.c; c0 += Q::kLanes) {
    const int64_t lanes = std::min<int64_t>(Q::kLanes, g.c - c0);
    const typename Q::Mask m = Q::mask(lanes);
    if (lanes < Q::kLanes)
      qdw_row_blocks<Q, true>(j, img, oy, c0, m);
    else
      qdw_row_blocks<Q, false>(j, img, oy, c0, m);
  }
}

inline void qdw_run(void (*task)(void*, size_t), const QDwWeights& w, const QDwGeometry& g,
                    const int8_t* x, int8_t* y, pthreadpool_t pool, uint32_t pool_flags) {
  QDwJob j{&w, &g, x, y};
  pthreadpool_parallelize_1d(pool, task, &j, size_t(g.n * g.oh), pool_flags);
}
