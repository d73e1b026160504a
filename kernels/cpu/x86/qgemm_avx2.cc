#include "kernels/cpu/x86/qgemm_avx2.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>

#include "kernels/cpu/x86/row_tiles.h"

#include "kernels/cpu/x86/qgemm_avx2_parts.h"
#include "kernels/cpu/x86/simd_target.h"
#endif

namespace tandem::cpu {

QGemmAvx2Weights qgemm_avx2_layout(int64_t m, int64_t k, int64_t matrices, const int32_t* bias,
                                   int32_t zx, const std::vector<float>& multiplier, int32_t zy,
                                   int32_t lo, int32_t hi) {
  QGemmAvx2Weights p;
  p.k = k, p.kp = (k + 1) / 2 * 2, p.m = m, p.blocks = (m + 7) / 8;
  p.zx = zx, p.zy = zy, p.lo = lo, p.hi = hi;
  p.packed.assign(size_t(matrices * p.blocks * (p.kp / 2) * 16), 0);
  p.bias.assign(size_t(p.blocks * 8), 0);
  p.multiplier.assign(size_t(p.blocks * 8), 0.0f);
  for (int64_t col = 0; col < m; ++col) {
    p.bias[size_t(col)] = bias ? bias[col] : 0;
    p.multiplier[size_t(col)] = multiplier[size_t(col)];
  }
  return p;
}

QGemmAvx2Weights qgemm_avx2_pack(const int8_t* w, int64_t m, int64_t k, const int32_t* bias,
                                 int32_t zx, const std::vector<float>& multiplier, int32_t zy,
                                 int32_t lo, int32_t hi) {
  QGemmAvx2Weights p = qgemm_avx2_layout(m, k, 1, bias, zx, multiplier, zy, lo, hi);
  for (int64_t col = 0; col < m; ++col)
    for (int64_t kk = 0; kk < k; ++kk) p.packed[p.index(0, col, kk)] = w[col * k + kk];
  return p;
}

std::vector<int8_t> qconv_avx2_patch_weights(const int8_t* w, int64_t m, int64_t c, int64_t kh,
                                             int64_t kw) {
  const int64_t row = (kw * c + 1) / 2 * 2;
  std::vector<int8_t> out(size_t(m * kh * row), 0);
  for (int64_t o = 0; o < m; ++o)
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t ky = 0; ky < kh; ++ky)
        for (int64_t kx = 0; kx < kw; ++kx)
          out[size_t((o * kh + ky) * row + kx * c + ci)] = w[((o * c + ci) * kh + ky) * kw + kx];
  return out;
}

#if defined(__x86_64__)

bool qgemm_avx2_available() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

// The kernels below are compiled for AVX2 + FMA (a target region, as the other
// per-level files: simd_target.h); only called where the CPU has them.
TANDEM_SIMD_BEGIN_AVX2

namespace {

using qavx2::Epilogue;
using qavx2::row_step;
using qavx2::store_row;

// Register tile: kMR rows x kNB 8-column blocks of int32 accumulators (6 x 2: 12 of
// the 16 ymm, two hold the weights, one the broadcast row pair, one the product).
constexpr int kMR = 6;
constexpr int kNB = 2;
// A task's rows: at most kMaxTaskRows (whole tiles), and at most kTaskBytes of int16,
// so deep patches (3x3 x 512) still give a task up to 60 rows to pass each weight
// panel over (at 12 rows the weights streamed from L3 bound ResNet-50's layer4).
constexpr int64_t kMaxTaskRows = 60;
constexpr int64_t kTaskBytes = 576 << 10;
constexpr int64_t kGroupBlocks = 16;  // 128 columns per task

struct Job {
  const QGemmAvx2Weights* w;
  const int8_t* a;  // 1x1: the rows; conv: the input image
  int64_t a_stride, rows;
  int8_t* c;
  int64_t c_stride;
  const QConvAvx2Geometry* g;  // null for the 1x1 path
  int64_t task_rows;
};

// A task's rows of A, widened, for the micro-tiles.
struct Tile {
  const QGemmAvx2Weights* w;
  const Epilogue* e;
  const int16_t* a;  // rows of w->kp int16
  int8_t* c;         // the task's first output row
  int64_t c_stride;
  int64_t row_base;  // the output row of a's row 0 (for the residual)
};

// MR rows (from row r0 of the tile) x NB column blocks starting at block j.
// Not inlined: in one function with the task's loops, GCC spills the accumulators.
template <int MR, int NB>
__attribute__((noinline)) void micro_tile(const Tile& t, int64_t r0, int64_t j) {
  const QGemmAvx2Weights& w = *t.w;
  const int64_t k2 = w.kp / 2;
  __m256i acc[MR][NB];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
    for (int b = 0; b < NB; ++b)  // the sums start at the bias
      acc[r][b] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(t.e->bias + (j + b) * 8));
  const int16_t* bp = w.packed.data() + j * k2 * 16;
  const int16_t* ap = t.a + r0 * w.kp;
  for (int64_t q = 0; q < k2; ++q) {
    __m256i bv[NB];
#pragma GCC unroll 4
    for (int b = 0; b < NB; ++b)
      bv[b] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp + (b * k2 + q) * 16));
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      row_step<NB>(ap + r * w.kp + q * 2, bv, acc[r]);
    }
  }
  const Epilogue& e = *t.e;
  const int n = int(std::min<int64_t>(8 * NB, w.m - j * 8));
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
    store_row<NB>(e, j, acc[r], t.c + (r0 + r) * t.c_stride + j * 8, n, t.row_base + r0 + r);
}

template <int NB>
void rows_tile(const Tile& t, int64_t rows, int64_t j) {
  for_row_tiles<kMR>(0, rows,
                     [&](auto mr, int64_t r) { micro_tile<decltype(mr)::value, NB>(t, r, j); });
}

// Column blocks [j0, j1) over all the tile's rows, NB blocks (one panel) at a time.
void columns(const Tile& t, int64_t rows, int64_t j0, int64_t j1) {
  int64_t j = j0;
  for (; j + kNB <= j1; j += kNB) rows_tile<kNB>(t, rows, j);
  if (j < j1) rows_tile<1>(t, rows, j);
}

// 16 int8 -> 16 int16 (x - zx).
inline void widen16(const int8_t* src, __m256i z, int16_t* dst) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst),
                      _mm256_sub_epi16(_mm256_cvtepi8_epi16(v), z));
}

// n int8 -> n int16 (x - zx); from 16 on, the tail as one vector overlapping the last
// (a stem's 21-byte patch row: two vectors).
inline void widen(const int8_t* src, int64_t n, int32_t zx, int16_t* dst) {
  const __m256i z = _mm256_set1_epi16(int16_t(zx));
  if (n < 16) {
    for (int64_t i = 0; i < n; ++i) dst[i] = int16_t(src[i] - zx);
    return;
  }
  for (int64_t i = 0; i + 16 <= n; i += 16) widen16(src + i, z, dst + i);
  if (n % 16) widen16(src + n - 16, z, dst + n - 16);
}

// Output pixel p's patch as x - zx: 0 where the window leaves the input and for
// the element that rounds a row up to even.
void gather_patch(const QConvAvx2Geometry& g, const int8_t* x, int32_t zx, int64_t p,
                  int16_t* dst) {
  const int64_t ox = p % g.ow, oy = (p / g.ow) % g.oh, img = p / (g.ow * g.oh);
  const int8_t* xi = x + img * g.h * g.w * g.c;
  const int64_t row = g.row(), run = g.kw * g.c;
  const int64_t ix0 = ox * g.sw - g.pl, ix1 = ix0 + (g.kw - 1) * g.dw;
  for (int64_t ky = 0; ky < g.kh; ++ky, dst += row) {
    const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
    if (iy < 0 || iy >= g.h) {
      std::memset(dst, 0, size_t(row) * sizeof(int16_t));
      continue;
    }
    const int8_t* src = xi + iy * g.w * g.c;
    if (row > run) dst[run] = 0;
    if (g.dw == 1 && ix0 >= 0 && ix1 < g.w) {  // the whole row inside: one run
      widen(src + ix0 * g.c, run, zx, dst);
      continue;
    }
    for (int64_t kx = 0; kx < g.kw; ++kx) {
      const int64_t ix = ix0 + kx * g.dw;
      if (ix < 0 || ix >= g.w)
        std::memset(dst + kx * g.c, 0, size_t(g.c) * sizeof(int16_t));
      else
        widen(src + ix * g.c, g.c, zx, dst + kx * g.c);
    }
  }
}

// Task (row block i, column group jg): widens or gathers the rows, then multiplies.
void task(void* ctx, size_t i, size_t jg) {
  const Job& jb = *static_cast<const Job*>(ctx);
  const QGemmAvx2Weights& w = *jb.w;
  int16_t* buf = qavx2::thread_buffer<int16_t>(size_t(jb.task_rows * w.kp));  // kTaskBytes at most
  const int64_t r0 = int64_t(i) * jb.task_rows, r1 = std::min(jb.rows, r0 + jb.task_rows);
  for (int64_t p = r0; p < r1; ++p) {
    int16_t* dst = buf + (p - r0) * w.kp;
    if (jb.g) {
      gather_patch(*jb.g, jb.a, w.zx, p, dst);
    } else {
      widen(jb.a + p * jb.a_stride, w.k, w.zx, dst);
      if (w.kp > w.k) dst[w.k] = 0;
    }
  }
  const Epilogue e(w);
  const Tile t{&w, &e, buf, jb.c + r0 * jb.c_stride, jb.c_stride, r0};
  const int64_t j0 = int64_t(jg) * kGroupBlocks;
  columns(t, r1 - r0, j0, std::min(w.blocks, j0 + kGroupBlocks));
}

// Rows per task: the rows split evenly into as few tasks as the limits allow, rounded
// up to whole tiles.
int64_t task_rows(int64_t kp, int64_t rows) {
  const int64_t fit =
      std::max<int64_t>(kMR, std::min(kMaxTaskRows, kTaskBytes / 2 / kp) / kMR * kMR);
  if (rows <= fit) return std::max<int64_t>(rows, 1);
  const int64_t tasks = (rows + fit - 1) / fit;
  const int64_t even = (rows + tasks - 1) / tasks;
  return std::min(fit, (even + kMR - 1) / kMR * kMR);
}

void run_job(const Job& jb, pthreadpool_t pool, uint32_t pool_flags) {
  const int64_t groups = (jb.w->blocks + kGroupBlocks - 1) / kGroupBlocks;
  pthreadpool_parallelize_2d(pool, task, const_cast<Job*>(&jb),
                             size_t((jb.rows + jb.task_rows - 1) / jb.task_rows), size_t(groups),
                             pool_flags);
}

}  // namespace

TANDEM_SIMD_END

void qgemm_avx2_run(const QGemmAvx2Weights& w, const int8_t* a, int64_t a_stride, int64_t rows,
                    int8_t* c, int64_t c_stride, pthreadpool_t pool, uint32_t pool_flags) {
  const Job jb{&w, a, a_stride, rows, c, c_stride, nullptr, task_rows(w.kp, rows)};
  run_job(jb, pool, pool_flags);
}

void qconv_avx2_run(const QGemmAvx2Weights& w, const QConvAvx2Geometry& g, const int8_t* x,
                    int8_t* y, pthreadpool_t pool, uint32_t pool_flags) {
  const Job jb{&w, x, 0, g.n * g.oh * g.ow, y, w.m, &g, task_rows(w.kp, g.n * g.oh * g.ow)};
  run_job(jb, pool, pool_flags);
}

#else

bool qgemm_avx2_available() {
  return false;
}
void qgemm_avx2_run(const QGemmAvx2Weights&, const int8_t*, int64_t, int64_t, int8_t*, int64_t,
                    pthreadpool_t, uint32_t) {}
void qconv_avx2_run(const QGemmAvx2Weights&, const QConvAvx2Geometry&, const int8_t*, int8_t*,
                    pthreadpool_t, uint32_t) {}

#endif

}  // namespace tandem::cpu
