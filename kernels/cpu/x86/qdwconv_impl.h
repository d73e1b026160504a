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

// One output row's kLanes channels from c0 (`m`: those that exist), the K x K
// weight vectors held in registers across the row (where they fit); taps outside
// the input read zx.
template <class Q, int K, bool kTail>
void qdw_row_block(const QDwJob& j, int64_t img, int64_t oy, int64_t c0, typename Q::Mask m) {
  using V = typename Q::V;
  using I = typename Q::I;
  const QDwGeometry g = *j.g;
  const QDwWeights& w = *j.w;
  V wv[K * K];
  for (int t = 0; t < K * K; ++t) wv[t] = Q::loadu(w.w.data() + t * w.cpad + c0);
  const I bias = Q::loadi(w.bias.data() + c0);
  const V mult = Q::loadu(w.multiplier.data() + c0);
  const V lo = Q::set1(float(w.lo - w.zy)), hi = Q::set1(float(w.hi - w.zy));
  const I zy = Q::set1i(w.zy);
  const V zx = Q::set1(float(g.zx));
  const int8_t* x = j.x + img * g.h * g.w * g.c + c0;
  int8_t* y = j.y + (img * g.oh + oy) * g.ow * g.c + c0;
  const int64_t iy0 = oy * g.sh - g.pt;
  const bool rows_in = iy0 >= 0 && iy0 + K <= g.h;
  for (int64_t ox = 0; ox < g.ow; ++ox) {
    const int64_t ix0 = ox * g.sw - g.pl;
    V acc = Q::zero();
    if (rows_in && ix0 >= 0 && ix0 + K <= g.w) {  // interior: no tap leaves the input
      const int8_t* p = x + (iy0 * g.w + ix0) * g.c;
      for (int ky = 0; ky < K; ++ky)
        for (int kx = 0; kx < K; ++kx)
          acc = Q::fmadd(Q::template load_x<kTail>(p + (ky * g.w + kx) * g.c, m), wv[ky * K + kx],
                         acc);
    } else {
      for (int ky = 0; ky < K; ++ky) {
        const int64_t iy = iy0 + ky;
        const bool row_in = iy >= 0 && iy < g.h;
        for (int kx = 0; kx < K; ++kx) {
          const int64_t ix = ix0 + kx;
          const bool in = row_in && ix >= 0 && ix < g.w;
          const V xv = in ? Q::template load_x<kTail>(x + (iy * g.w + ix) * g.c, m) : zx;
          acc = Q::fmadd(xv, wv[ky * K + kx], acc);
        }
      }
    }
    // The sum is an exact integer in float; the epilogue multiplies (nothing is
    // added to the product in float, so no FMA can form), clamps and rounds.
    const I sum = Q::addi(Q::to_int(acc), bias);
    const V f = Q::min(Q::max(Q::mul(Q::to_float(sum), mult), lo), hi);
    Q::template store_y<kTail>(y + ox * g.c, m, Q::addi(Q::to_int(f), zy));
  }
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
      g.kh == 3 ? qdw_row_block<Q, 3, true>(j, img, oy, c0, m)
                : qdw_row_block<Q, 5, true>(j, img, oy, c0, m);
    else
      g.kh == 3 ? qdw_row_block<Q, 3, false>(j, img, oy, c0, m)
                : qdw_row_block<Q, 5, false>(j, img, oy, c0, m);
  }
}

inline void qdw_run(void (*task)(void*, size_t), const QDwWeights& w, const QDwGeometry& g,
                    const int8_t* x, int8_t* y, pthreadpool_t pool, uint32_t pool_flags) {
  QDwJob j{&w, &g, x, y};
  pthreadpool_parallelize_1d(pool, task, &j, size_t(g.n * g.oh), pool_flags);
}
