#include "kernels/cpu/x86/qgemm_amx.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernels/cpu/x86/qgemm_vnni_parts.h"
#endif

namespace tandem::cpu {

QGemmAmxWeights qgemm_amx_pack(const int8_t* w, int64_t m, int64_t k, const int32_t* bias,
                               int32_t zx, const std::vector<float>& multiplier, int32_t zy,
                               int32_t lo, int32_t hi) {
  const int64_t kp = (k + 63) / 64 * 64;
  std::vector<int8_t> padded(size_t(m * kp), 0);
  for (int64_t o = 0; o < m; ++o) std::memcpy(&padded[size_t(o * kp)], w + o * k, size_t(k));
  QGemmAmxWeights p;
  // The VNNI pack folds -(128 + zx) * sum w (its unsigned shift); TDPBSSD multiplies
  // the signed x, so only -zx * sum w is folded: pass zx - 128.
  static_cast<QGemmVnniWeights&>(p) =
      qgemm_vnni_pack(padded.data(), m, kp, bias, zx - 128, multiplier, zy, lo, hi);
  p.k_in = k;
  return p;
}

#if defined(__x86_64__)

namespace {

bool cpu_has_amx_int8() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  return (d >> 24 & 1) && (d >> 25 & 1);  // AMX-TILE, AMX-INT8
}

// Linux keeps the 8 KiB tile state off until a process asks (arch_prctl).
bool tile_state_granted() {
#if defined(__linux__)
  constexpr int kArchReqXcompPerm = 0x1023;
  constexpr int kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

}  // namespace

bool qgemm_amx_available() {
  static const bool ok = qgemm_vnni_available() && cpu_has_amx_int8() && tile_state_granted();
  return ok;
}

// The kernels below are compiled for AVX-512 VNNI and AMX (a target region); only
// called where qgemm_amx_available() holds.
#if defined(__clang__)
#pragma clang attribute push(                                                          \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,amx-tile,amx-int8"))), \
    apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni,amx-tile,amx-int8")
#endif

namespace {

using qvnni::Epilogue;
using qvnni::store_block;

constexpr int64_t kTaskRows = 128;   // A rows a task copies or gathers (whole 32-row pairs)
constexpr int64_t kGroupBlocks = 8;  // 128 columns per task
constexpr int64_t kTileK = 64;       // bytes of a tile row: 64 k per TDPBSSD

// Palette 1, every tile 16 rows x 64 bytes: tmm0-3 the sums (2 x 2 blocks of 16 x 16
// int32), tmm4-5 two 16-row blocks of A, tmm6-7 two 16-column blocks of weights.
struct alignas(64) TileConfig {
  uint8_t palette = 1, start_row = 0, reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

void configure_tiles() {
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) cfg.colsb[t] = 64, cfg.rows[t] = 16;
  _tile_loadconfig(&cfg);
}

// The tile instructions are asm statements without memory operands: keep ordinary
// loads and stores of the buffers they read and write on their side of them.
inline void memory_barrier() {
  __asm__ volatile("" ::: "memory");
}

struct Job {
  const QGemmAmxWeights* w;
  const int8_t* a;  // 1x1: the rows; conv: the input image
  int64_t a_stride, rows;
  int8_t* c;
  int64_t c_stride;
  const QConvVnniGeometry* g;  // null for the 1x1 path
};

// A task's rows, 64-byte aligned so that no tile row straddles two cache lines
// (thread-local, grown once per thread to the largest block it met).
int8_t* task_buffer(size_t bytes) {
  thread_local std::vector<int8_t> buf;
  if (buf.size() < bytes + 64) buf.resize(bytes + 64);
  const uintptr_t p = reinterpret_cast<uintptr_t>(buf.data());
  return buf.data() + ((64 - p % 64) % 64);
}

// Sums of 32 rows of A (rows of kp bytes) by NB 16-column blocks from j, into cbuf
// (32 rows of 32 int32).
template <int NB>
void tile_sums(const QGemmAmxWeights& w, const int8_t* a, int64_t j, int32_t* cbuf) {
  const int64_t kp = w.k, k4 = w.k / 4;
  const int8_t* b0 = w.packed.data() + j * k4 * 64;
  const int8_t* b1 = b0 + k4 * 64;
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (int64_t kc = 0; kc < kp / kTileK; ++kc) {
    _tile_loadd(4, a + kc * kTileK, kp);
    _tile_loadd(5, a + 16 * kp + kc * kTileK, kp);
    _tile_loadd(6, b0 + kc * 16 * 64, 64);
    _tile_dpbssd(0, 4, 6);
    _tile_dpbssd(2, 5, 6);
    if constexpr (NB == 2) {
      _tile_loadd(7, b1 + kc * 16 * 64, 64);
      _tile_dpbssd(1, 4, 7);
      _tile_dpbssd(3, 5, 7);
    }
  }
  _tile_stored(0, cbuf, 128);
  _tile_stored(2, cbuf + 16 * 32, 128);
  if constexpr (NB == 2) {
    _tile_stored(1, cbuf + 16, 128);
    _tile_stored(3, cbuf + 16 * 32 + 16, 128);
  }
  memory_barrier();
}

// The epilogue of `rows` (<= 32) rows of cbuf: bias, requantization, the fused QAdd,
// stores to c (output row row0 first).
void store_rows(const Epilogue& e, const int32_t* cbuf, int nb, int64_t j, int64_t rows, int8_t* c,
                int64_t c_stride, int64_t row0) {
  for (int64_t r = 0; r < rows; ++r)
    for (int b = 0; b < nb; ++b) {
      const int lanes = int(std::min<int64_t>(16, e.m - (j + b) * 16));
      const __m512i acc = _mm512_add_epi32(_mm512_loadu_si512(cbuf + r * 32 + b * 16),
                                           _mm512_loadu_si512(e.bias + (j + b) * 16));
      store_block(e, j + b, acc, c + r * c_stride + (j + b) * 16, lanes, row0 + r);
    }
}

// Task (row block i, column group jg): copies or gathers the rows once, then runs the
// group's column pairs over them, 32 rows at a time.
void task(void* ctx, size_t i, size_t jg) {
  const Job& jb = *static_cast<const Job*>(ctx);
  const QGemmAmxWeights& w = *jb.w;
  const int64_t kp = w.k, r0 = int64_t(i) * kTaskRows;
  const int64_t n = std::min(jb.rows - r0, kTaskRows), padded = (n + 31) / 32 * 32;
  // Rows past n and bytes past k_in hold whatever a task left there: they meet zero
  // weights or their sums are never stored.
  int8_t* abuf = task_buffer(size_t(kTaskRows * kp));
  if (jb.g) {
    qvnni::gather_patches(*jb.g, jb.a, r0, n, abuf, kp);
  } else {
    for (int64_t r = 0; r < n; ++r)
      qvnni::copy_bytes(abuf + r * kp, jb.a + (r0 + r) * jb.a_stride, w.k_in);
  }
  memory_barrier();
  configure_tiles();
  const Epilogue e(w);
  alignas(64) int32_t cbuf[32 * 32];
  const int64_t j0 = int64_t(jg) * kGroupBlocks, j1 = std::min(w.blocks, j0 + kGroupBlocks);
  for (int64_t j = j0; j < j1; j += 2) {
    const int nb = j + 1 < j1 ? 2 : 1;
    for (int64_t rr = 0; rr < padded; rr += 32) {
      if (nb == 2)
        tile_sums<2>(w, abuf + rr * kp, j, cbuf);
      else
        tile_sums<1>(w, abuf + rr * kp, j, cbuf);
      store_rows(e, cbuf, nb, j, std::min<int64_t>(32, n - rr), jb.c + (r0 + rr) * jb.c_stride,
                 jb.c_stride, r0 + rr);
    }
  }
  _tile_release();
}

void run_job(const Job& jb, pthreadpool_t pool, uint32_t pool_flags) {
  const int64_t groups = (jb.w->blocks + kGroupBlocks - 1) / kGroupBlocks;
  pthreadpool_parallelize_2d(pool, task, const_cast<Job*>(&jb),
                             size_t((jb.rows + kTaskRows - 1) / kTaskRows), size_t(groups),
                             pool_flags);
}

}  // namespace

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

void qgemm_amx_run(const QGemmAmxWeights& w, const int8_t* a, int64_t a_stride, int64_t rows,
                   int8_t* c, int64_t c_stride, pthreadpool_t pool, uint32_t pool_flags) {
  run_job(Job{&w, a, a_stride, rows, c, c_stride, nullptr}, pool, pool_flags);
}

void qconv_amx_run(const QGemmAmxWeights& w, const QConvVnniGeometry& g, const int8_t* x, int8_t* y,
                   pthreadpool_t pool, uint32_t pool_flags) {
  run_job(Job{&w, x, 0, g.n * g.oh * g.ow, y, w.m, &g}, pool, pool_flags);
}

#else

bool qgemm_amx_available() {
  return false;
}
void qgemm_amx_run(const QGemmAmxWeights&, const int8_t*, int64_t, int64_t, int8_t*, int64_t,
                   pthreadpool_t, uint32_t) {}
void qconv_amx_run(const QGemmAmxWeights&, const QConvVnniGeometry&, const int8_t*, int8_t*,
                   pthreadpool_t, uint32_t) {}

#endif

}  // namespace tandem::cpu
