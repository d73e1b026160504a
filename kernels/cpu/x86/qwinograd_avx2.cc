#include "kernels/cpu/x86/qwinograd_avx2.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>

#include "kernels/cpu/x86/row_tiles.h"

#include "kernels/cpu/x86/qgemm_avx2_parts.h"
#include "kernels/cpu/x86/simd_target.h"
#endif

namespace tandem::cpu {
namespace {

constexpr int kPositions = 16;  // a 4 x 4 input tile

// u = (2G) g (2G)^T for one 3x3 filter g (row-major), 2G = [2 0 0; 1 1 1; 1 -1 1; 0 0 2].
void transform_filter(const int8_t* g, int32_t* u) {
  static constexpr int kG2[4][3] = {{2, 0, 0}, {1, 1, 1}, {1, -1, 1}, {0, 0, 2}};
  int32_t t[4][3];  // (2G) g
  for (int a = 0; a < 4; ++a)
    for (int kx = 0; kx < 3; ++kx)
      t[a][kx] = kG2[a][0] * g[kx] + kG2[a][1] * g[3 + kx] + kG2[a][2] * g[6 + kx];
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b)
      u[a * 4 + b] = t[a][0] * kG2[b][0] + t[a][1] * kG2[b][1] + t[a][2] * kG2[b][2];
}

}  // namespace

QGemmAvx2Weights qwinograd_avx2_pack(const int8_t* w, int64_t m, int64_t c, const int32_t* bias,
                                     int32_t zx, const std::vector<float>& multiplier, int32_t zy,
                                     int32_t lo, int32_t hi) {
  QGemmAvx2Weights p = qgemm_avx2_layout(m, c, kPositions, bias, zx, multiplier, zy, lo, hi);
  int32_t u[kPositions];
  for (int64_t col = 0; col < m; ++col)
    for (int64_t ci = 0; ci < c; ++ci) {
      transform_filter(w + (col * c + ci) * 9, u);
      for (int64_t pos = 0; pos < kPositions; ++pos)
        p.packed[p.index(pos, col, ci)] = int16_t(u[pos]);
    }
  return p;
}

#if defined(__x86_64__)

// Compiled for AVX2 + FMA (simd_target.h); only called where the CPU has them.
TANDEM_SIMD_BEGIN_AVX2

namespace {

using qavx2::Epilogue;
using qavx2::row_step;
using qavx2::store_row;
using qavx2::thread_buffer;

constexpr int kMR = 6;  // the register tile, as the GEMM's: 6 tiles x 2 column blocks
constexpr int kNB = 2;
constexpr int64_t kGroupBlocks = 16;       // 128 output channels per task
constexpr int64_t kMaxTaskTiles = 96;      // tiles a task transforms at once
constexpr int64_t kTaskBytes = 512 << 10;  // at most this much transformed input

struct Job {
  const QGemmAvx2Weights* w;
  const QWinogradAvx2Geometry* g;
  const int8_t* x;
  int8_t* y;
  int64_t task_tiles;
  int64_t kv;  // a transformed row's length: C rounded up to 16
};

// A task's transformed tiles and where the products go.
struct Panel {
  const QGemmAvx2Weights* w;
  const int16_t* v;  // [16][nt][kv]
  int32_t* m;        // [16][nt][16]: one panel's products
  int64_t nt, kv;
};

// Products of tiles [r0, r0 + MR) with the NB column blocks from j at position pos.
// Not inlined, as the GEMM's micro-tile: GCC spills the accumulators otherwise.
template <int MR, int NB>
__attribute__((noinline)) void micro_tile(const Panel& t, int pos, int64_t r0, int64_t j) {
  const QGemmAvx2Weights& w = *t.w;
  const int64_t k2 = w.kp / 2;
  __m256i acc[MR][NB];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
    for (int b = 0; b < NB; ++b) acc[r][b] = _mm256_setzero_si256();
  const int16_t* bp = w.packed.data() + (pos * w.blocks + j) * k2 * 16;
  const int16_t* ap = t.v + (pos * t.nt + r0) * t.kv;
  for (int64_t q = 0; q < k2; ++q) {
    __m256i bv[NB];
#pragma GCC unroll 4
    for (int b = 0; b < NB; ++b)
      bv[b] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp + (b * k2 + q) * 16));
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) row_step<NB>(ap + r * t.kv + q * 2, bv, acc[r]);
  }
  int32_t* mp = t.m + (pos * t.nt + r0) * 16;
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
    for (int b = 0; b < NB; ++b)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(mp + r * 16 + b * 8), acc[r][b]);
}

template <int NB>
void products(const Panel& t, int pos, int64_t j) {
  for_row_tiles<kMR>(
      0, t.nt, [&](auto mr, int64_t r) { micro_tile<decltype(mr)::value, NB>(t, pos, r, j); });
}

inline __m256i ld(const int32_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// Tile tt's 2 x 2 outputs of one column block (b) from its 16 products:
// A^T M A = 4 * conv, >> 2, + bias.
void output_block(const Panel& t, int64_t tt, int b, const int32_t* bias, __m256i out[4]) {
  const int32_t* mp = t.m + tt * 16 + b * 8;
  const int64_t step = t.nt * 16;  // from one position to the next
  __m256i s0[4], s1[4];
  for (int col = 0; col < 4; ++col) {
    const __m256i m0 = ld(mp + (0 * 4 + col) * step), m1 = ld(mp + (1 * 4 + col) * step);
    const __m256i m2 = ld(mp + (2 * 4 + col) * step), m3 = ld(mp + (3 * 4 + col) * step);
    s0[col] = _mm256_add_epi32(_mm256_add_epi32(m0, m1), m2);
    s1[col] = _mm256_sub_epi32(_mm256_sub_epi32(m1, m2), m3);
  }
  const __m256i bv = ld(bias);
  const __m256i* s[2] = {s0, s1};
  for (int u = 0; u < 2; ++u) {
    const __m256i y0 = _mm256_add_epi32(_mm256_add_epi32(s[u][0], s[u][1]), s[u][2]);
    const __m256i y1 = _mm256_sub_epi32(_mm256_sub_epi32(s[u][1], s[u][2]), s[u][3]);
    out[u * 2 + 0] = _mm256_add_epi32(_mm256_srai_epi32(y0, 2), bv);
    out[u * 2 + 1] = _mm256_add_epi32(_mm256_srai_epi32(y1, 2), bv);
  }
}

// The outputs of the task's tiles (from global tile t0) for column blocks j, j + NB.
template <int NB>
void outputs(const Panel& t, const Job& jb, const Epilogue& e, int64_t t0, int64_t j) {
  const QWinogradAvx2Geometry& g = *jb.g;
  const int64_t th = g.tiles_h(), tw = g.tiles_w(), m = jb.w->m;
  const int n = int(std::min<int64_t>(8 * NB, m - j * 8));
  for (int64_t tt = 0; tt < t.nt; ++tt) {
    const int64_t tile = t0 + tt;
    const int64_t tx = tile % tw, ty = (tile / tw) % th, img = tile / (tw * th);
    __m256i out[NB][4];
    for (int b = 0; b < NB; ++b) output_block(t, tt, b, jb.w->bias.data() + (j + b) * 8, out[b]);
    for (int u = 0; u < 2; ++u) {
      const int64_t oy = ty * 2 + u;
      if (oy >= g.oh) break;
      for (int v = 0; v < 2; ++v) {
        const int64_t ox = tx * 2 + v;
        if (ox >= g.ow) break;
        __m256i acc[NB];
        for (int b = 0; b < NB; ++b) acc[b] = out[b][u * 2 + v];
        const int64_t p = (img * g.oh + oy) * g.ow + ox;
        store_row<NB>(e, j, acc, jb.y + p * m + j * 8, n, p);
      }
    }
  }
}

// 16 channels from c0 of input pixel (iy, ix) of image img as int16 x - zx; 0 outside.
inline __m256i input16(const Job& jb, int64_t img, int64_t iy, int64_t ix, int64_t c0, __m256i z) {
  const QWinogradAvx2Geometry& g = *jb.g;
  if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) return _mm256_setzero_si256();
  const int8_t* p = jb.x + ((img * g.h + iy) * g.w + ix) * g.c + c0;
  const int n = int(std::min<int64_t>(16, g.c - c0));  // lanes past C meet zero weights
  return _mm256_sub_epi16(_mm256_cvtepi8_epi16(qavx2::load_bytes(p, n)), z);
}

// B^T applied to 4 vectors: [d0 - d2, d1 + d2, d2 - d1, d1 - d3].
inline void bt4(const __m256i d[4], __m256i e[4]) {
  e[0] = _mm256_sub_epi16(d[0], d[2]);
  e[1] = _mm256_add_epi16(d[1], d[2]);
  e[2] = _mm256_sub_epi16(d[2], d[1]);
  e[3] = _mm256_sub_epi16(d[1], d[3]);
}

// Global tile `tile` as V = B^T d B into row tt of the 16 position matrices.
void transform_tile(const Job& jb, int64_t tile, int64_t tt, int64_t nt, int16_t* v) {
  const QWinogradAvx2Geometry& g = *jb.g;
  const int64_t th = g.tiles_h(), tw = g.tiles_w();
  const int64_t tx = tile % tw, ty = (tile / tw) % th, img = tile / (tw * th);
  const int64_t iy0 = ty * 2 - g.pt, ix0 = tx * 2 - g.pl;
  const __m256i z = _mm256_set1_epi16(int16_t(jb.w->zx));
  for (int64_t c0 = 0; c0 < jb.kv; c0 += 16) {
    __m256i d[4][4], e[4][4];
    for (int r = 0; r < 4; ++r)
      for (int col = 0; col < 4; ++col) d[r][col] = input16(jb, img, iy0 + r, ix0 + col, c0, z);
    for (int col = 0; col < 4; ++col) {  // the rows (vertical)
      const __m256i dc[4] = {d[0][col], d[1][col], d[2][col], d[3][col]};
      __m256i ec[4];
      bt4(dc, ec);
      for (int r = 0; r < 4; ++r) e[r][col] = ec[r];
    }
    for (int a = 0; a < 4; ++a) {  // then the columns
      __m256i vr[4];
      bt4(e[a], vr);
      for (int b = 0; b < 4; ++b)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(v + ((a * 4 + b) * nt + tt) * jb.kv + c0),
                            vr[b]);
    }
  }
}

// Task (tile block i, column group jg): transforms the block's tiles, then per panel
// of NB column blocks the 16 products and the outputs.
void task(void* ctx, size_t i, size_t jg) {
  const Job& jb = *static_cast<const Job*>(ctx);
  const QGemmAvx2Weights& w = *jb.w;
  const int64_t t0 = int64_t(i) * jb.task_tiles;
  const int64_t nt = std::min(jb.g->tiles() - t0, jb.task_tiles);
  int16_t* v = thread_buffer<int16_t>(size_t(kPositions * jb.task_tiles * jb.kv));
  int32_t* m = thread_buffer<int32_t>(size_t(kPositions * jb.task_tiles * 16));
  for (int64_t tt = 0; tt < nt; ++tt) transform_tile(jb, t0 + tt, tt, nt, v);
  const Epilogue e(w);
  const Panel t{&w, v, m, nt, jb.kv};
  const int64_t j0 = int64_t(jg) * kGroupBlocks, j1 = std::min(w.blocks, j0 + kGroupBlocks);
  int64_t j = j0;
  for (; j + kNB <= j1; j += kNB) {
    for (int pos = 0; pos < kPositions; ++pos) products<kNB>(t, pos, j);
    outputs<kNB>(t, jb, e, t0, j);
  }
  if (j < j1) {
    for (int pos = 0; pos < kPositions; ++pos) products<1>(t, pos, j);
    outputs<1>(t, jb, e, t0, j);
  }
}

// Tiles per task: split evenly into as few tasks as the budget allows (a task streams
// all its column group's weights, so fewer, larger tasks read them fewer times), and
// into a multiple of the threads when there are few (3 tasks on 2 threads: 2 rounds).
int64_t task_tiles(int64_t kv, int64_t tiles, int64_t groups, int64_t threads) {
  const int64_t fit =
      std::max<int64_t>(kMR, std::min(kMaxTaskTiles, kTaskBytes / (kPositions * kv * 2)));
  int64_t tasks = (tiles + fit - 1) / fit;
  while (tasks * groups < 4 * threads && (tasks * groups) % threads != 0 && tasks < tiles) ++tasks;
  return (tiles + tasks - 1) / tasks;
}

}  // namespace

TANDEM_SIMD_END

void qwinograd_avx2_run(const QGemmAvx2Weights& w, const QWinogradAvx2Geometry& g, const int8_t* x,
                        int8_t* y, pthreadpool_t pool, uint32_t pool_flags) {
  const int64_t kv = (g.c + 15) / 16 * 16;
  const int64_t groups = (w.blocks + kGroupBlocks - 1) / kGroupBlocks;
  const int64_t threads = pool ? int64_t(pthreadpool_get_threads_count(pool)) : 1;
  const Job jb{&w, &g, x, y, task_tiles(kv, g.tiles(), groups, threads), kv};
  pthreadpool_parallelize_2d(pool, task, const_cast<Job*>(&jb),
                             size_t((g.tiles() + jb.task_tiles - 1) / jb.task_tiles),
                             size_t(groups), pool_flags);
}

#else

void qwinograd_avx2_run(const QGemmAvx2Weights&, const QWinogradAvx2Geometry&, const int8_t*,
                        int8_t*, pthreadpool_t, uint32_t) {}

#endif

}  // namespace tandem::cpu
