// Blocked f32 GEMM with a 12x32 AVX-512 micro-kernel (see gemm_avx512.h).
#include "kernels/cpu/x86/gemm_avx512.h"

#include <algorithm>
#include <array>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>

namespace tandem::cpu {
namespace {

constexpr int kMR = 12;      // rows of A per micro-tile (12 x 2 accumulators)
constexpr int64_t kNR = 32;  // columns per packed B panel (two zmm)
// K block: a panel's KC x 32 slice of B (32 KiB) stays in L1 across the m-tiles.
constexpr int64_t kKC = 256;
// M block: the MC x KC slice of A (144 KiB) stays in L2 across the panels of a task.
constexpr int64_t kMC = 144;
// Panels per task: C's MC x 128 block (72 KiB) is revisited once per K block.
constexpr int64_t kPanelsPerTask = 4;
// B rows (128 bytes each) the micro-kernel prefetches ahead of the one it multiplies:
// 24 KiB. Without it the weights, which do not stay in cache between inferences
// (ResNet-50 holds 100 MB), arrive at the hardware prefetcher's pace; measured
// (tandem bench, interleaved, 1 thread): ResNet-50 32.4 -> 28.9 ms, MobileNetV2 3.67
// -> 3.33, DenseNet-121 23.3 -> 22.3, VGG19 95.8 -> 88.9; 128-256 rows measured
// alike, 32 rows gained half as much.
constexpr int64_t kPrefetchRows = 192;
// Rows x K of A up to this size run panel-major (see gemm_rows).
constexpr int64_t kPanelMajorBytes = 512 << 10;

struct Tile {
  int64_t kc;
  const float* a;
  const int32_t* off;  // indexed A: offsets of this K block, else nullptr
  int64_t lda;
  const float* b;  // packed panel rows k0.., 32 floats each, 64-byte aligned
  float* c;
  int64_t ldc;
  const float* bias;  // 32 values
  const float* r;     // residual tile or nullptr
  int64_t ldr;
  bool first, last;
  float lo, hi;
  __mmask16 mask0, mask1;
};

// C tile (MR x 32) += A tile (MR x kc) * B panel (kc x 32); bias on the first K
// block, residual and clamp on the last.
template <int MR, bool kIndexed>
TANDEM_AVX512 void micro_kernel(const Tile& t) {
  if (t.last && t.r) {
    // The residual is read once, in column panels, usually from memory: fetch the
    // tile four tiles ahead now (past the end is harmless: a prefetch never faults).
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(t.r + (4 * MR + r) * t.ldr), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(t.r + (4 * MR + r) * t.ldr + 16), _MM_HINT_T0);
    }
  }
  __m512 c0[MR], c1[MR];
  if (t.first) {
    const __m512 b0 = _mm512_loadu_ps(t.bias), b1 = _mm512_loadu_ps(t.bias + 16);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      c0[r] = b0;
      c1[r] = b1;
    }
  } else {
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      c0[r] = _mm512_maskz_loadu_ps(t.mask0, t.c + r * t.ldc);
      c1[r] = _mm512_maskz_loadu_ps(t.mask1, t.c + r * t.ldc + 16);
    }
  }
  const float* a = t.a;
  const float* b = t.b;
  const int64_t lda = t.lda;
  const int32_t* off = t.off;
  for (int64_t p = 0; p < t.kc; ++p, b += kNR) {
    // B's panels lie one after another, K block after K block: fetching the row
    // kPrefetchRows ahead streams the weights in (past the end is harmless).
    _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchRows * kNR), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchRows * kNR + 16), _MM_HINT_T0);
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
    const float* ap = kIndexed ? a + off[p] : a + p;
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(ap[r * lda]);
      c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
      c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
    }
  }
  if (t.last && t.r) {
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      c0[r] = _mm512_add_ps(c0[r], _mm512_maskz_loadu_ps(t.mask0, t.r + r * t.ldr));
      c1[r] = _mm512_add_ps(c1[r], _mm512_maskz_loadu_ps(t.mask1, t.r + r * t.ldr + 16));
    }
  }
  if (t.last) {
    const __m512 lo = _mm512_set1_ps(t.lo), hi = _mm512_set1_ps(t.hi);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      // maskz forms: GCC 12's plain min/max intrinsics warn about an undefined operand.
      c0[r] = _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, c0[r], lo), hi);
      c1[r] = _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, c1[r], lo), hi);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) {
    _mm512_mask_storeu_ps(t.c + r * t.ldc, t.mask0, c0[r]);
    _mm512_mask_storeu_ps(t.c + r * t.ldc + 16, t.mask1, c1[r]);
  }
}

using MicroKernel = void (*)(const Tile&);
template <bool kIndexed>
constexpr MicroKernel kMicro[kMR + 1] = {nullptr,
                                         micro_kernel<1, kIndexed>,
                                         micro_kernel<2, kIndexed>,
                                         micro_kernel<3, kIndexed>,
                                         micro_kernel<4, kIndexed>,
                                         micro_kernel<5, kIndexed>,
                                         micro_kernel<6, kIndexed>,
                                         micro_kernel<7, kIndexed>,
                                         micro_kernel<8, kIndexed>,
                                         micro_kernel<9, kIndexed>,
                                         micro_kernel<10, kIndexed>,
                                         micro_kernel<11, kIndexed>,
                                         micro_kernel<12, kIndexed>};

// A panel with <= 16 live columns (N = 16, 48, 144, ...): the full kernel would
// spend half of its FMAs on zero columns, so this one uses one accumulator per
// row and up to 24 rows (the same 24 FMAs per K step, one B load). Measured
// (interleaved, 1 thread): MnasNet 3.61 -> 3.51 ms (its 48- and 144-wide
// expansions), MobileNetV2 and DenseNet-121 unchanged; a 1x1 conv with only 16
// outputs still runs on XNNPACK (82 vs 74 us on MobileNetV2's first projection).
constexpr int kMRHalf = 24;

template <int MR, bool kIndexed>
TANDEM_AVX512 void micro_kernel_half(const Tile& t) {
  if (t.last && t.r) {
#pragma GCC unroll 24
    for (int r = 0; r < MR; ++r)
      _mm_prefetch(reinterpret_cast<const char*>(t.r + (4 * MR + r) * t.ldr), _MM_HINT_T0);
  }
  __m512 c0[MR];
  if (t.first) {
    const __m512 b0 = _mm512_loadu_ps(t.bias);
#pragma GCC unroll 24
    for (int r = 0; r < MR; ++r) c0[r] = b0;
  } else {
#pragma GCC unroll 24
    for (int r = 0; r < MR; ++r) c0[r] = _mm512_maskz_loadu_ps(t.mask0, t.c + r * t.ldc);
  }
  const float* a = t.a;
  const float* b = t.b;
  const int64_t lda = t.lda;
  const int32_t* off = t.off;
  for (int64_t p = 0; p < t.kc; ++p, b += kNR) {
    _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchRows * kNR), _MM_HINT_T0);
    const __m512 b0 = _mm512_load_ps(b);
    const float* ap = kIndexed ? a + off[p] : a + p;
#pragma GCC unroll 24
    for (int r = 0; r < MR; ++r) c0[r] = _mm512_fmadd_ps(_mm512_set1_ps(ap[r * lda]), b0, c0[r]);
  }
  if (t.last) {
    const __m512 lo = _mm512_set1_ps(t.lo), hi = _mm512_set1_ps(t.hi);
#pragma GCC unroll 24
    for (int r = 0; r < MR; ++r) {
      if (t.r) c0[r] = _mm512_add_ps(c0[r], _mm512_maskz_loadu_ps(t.mask0, t.r + r * t.ldr));
      c0[r] = _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, c0[r], lo), hi);
    }
  }
#pragma GCC unroll 24
  for (int r = 0; r < MR; ++r) _mm512_mask_storeu_ps(t.c + r * t.ldc, t.mask0, c0[r]);
}

template <bool kIndexed, size_t... I>
constexpr std::array<MicroKernel, sizeof...(I)> half_table(std::index_sequence<I...>) {
  return {(I == 0 ? nullptr : micro_kernel_half<int(I), kIndexed>)...};
}
template <bool kIndexed>
constexpr auto kMicroHalf = half_table<kIndexed>(std::make_index_sequence<kMRHalf + 1>());

// Rows [m0, m1) times panels [j0, j1), over all of K.
void gemm_rows(const PackedGemmB& b, const GemmCall& call, int64_t m0, int64_t m1, int64_t j0,
               int64_t j1) {
  const int64_t k = b.k, n = b.n;
  const int64_t rows = m1 - m0;
  if (rows <= 0) return;
  const float* panels = b.panels();
  Tile t{};
  t.lda = call.lda;
  t.ldc = call.ldc;
  t.ldr = call.ldr;
  t.lo = call.lo;
  t.hi = call.hi;
  auto run_panel_block = [&](int64_t j, int64_t k0) {
    t.kc = std::min(kKC, k - k0);
    t.first = k0 == 0;
    t.last = k0 + t.kc == k;
    t.off = call.a_offsets ? call.a_offsets + k0 : nullptr;
    const int64_t cols = std::min<int64_t>(kNR, n - j * kNR);
    t.mask0 = __mmask16(cols >= 16 ? 0xFFFF : (1u << cols) - 1);
    t.mask1 = __mmask16(cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (1u << (cols - 16)) - 1);
    t.b = panels + (j * k + k0) * kNR;
    t.bias = b.bias.data() + j * kNR;
    // Tiles of nearly equal height (a 49-row block runs 10+10+10+10+9, not 12x4+1).
    const bool half = cols <= 16;
    const int64_t max_rows = half ? kMRHalf : kMR;
    const int64_t tiles = (rows + max_rows - 1) / max_rows;
    const int64_t base = rows / tiles, extra = rows % tiles;
    const MicroKernel* table =
        half ? (call.a_offsets ? kMicroHalf<true>.data() : kMicroHalf<false>.data())
             : (call.a_offsets ? kMicro<true> : kMicro<false>);
    int64_t r = m0;
    for (int64_t i = 0; i < tiles; ++i) {
      const int64_t mr = base + (i < extra ? 1 : 0);
      t.a = call.a + r * call.lda + (call.a_offsets ? 0 : k0);
      t.c = call.c + r * call.ldc + j * kNR;
      t.r = call.r ? call.r + r * call.ldr + j * kNR : nullptr;
      table[mr](t);
      r += mr;
    }
  };
  if (rows * k * int64_t(sizeof(float)) <= kPanelMajorBytes) {
    // Few rows (a 7x7 map): the weights dominate the traffic. Each panel runs over
    // all of K before the next, so B streams sequentially from memory (A stays in L2).
    for (int64_t j = j0; j < j1; ++j)
      for (int64_t k0 = 0; k0 < k; k0 += kKC) run_panel_block(j, k0);
  } else {
    for (int64_t k0 = 0; k0 < k; k0 += kKC)
      for (int64_t j = j0; j < j1; ++j) run_panel_block(j, k0);
  }
}

struct Context {
  const PackedGemmB* b;
  GemmCall call;
  int64_t rows_per_block, panels;
};

// One task: the rows of M block `mb` times the panels of group `ng`.
void gemm_task(void* ctx_ptr, size_t mb, size_t ng) {
  const auto& x = *static_cast<const Context*>(ctx_ptr);
  const int64_t m0 = int64_t(mb) * x.rows_per_block;
  const int64_t j0 = int64_t(ng) * kPanelsPerTask;
  gemm_rows(*x.b, x.call, m0, std::min(x.call.m, m0 + x.rows_per_block), j0,
            std::min(x.panels, j0 + kPanelsPerTask));
}

}  // namespace

bool gemm_avx512_available() {
  static const bool ok = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return ok;
}

int64_t gemm_avx512_block_rows(int64_t m) {
  const int64_t blocks = std::max<int64_t>(1, (m + kMC - 1) / kMC);
  return (m + blocks - 1) / blocks;
}

void gemm_avx512(const PackedGemmB& b, const GemmCall& call, pthreadpool_t pool, uint32_t flags) {
  if (call.m <= 0 || b.n <= 0 || !gemm_avx512_available()) return;
  Context x{&b, call, gemm_avx512_block_rows(call.m), (b.n + kNR - 1) / kNR};
  const int64_t blocks = (call.m + x.rows_per_block - 1) / x.rows_per_block;
  const int64_t groups = (x.panels + kPanelsPerTask - 1) / kPanelsPerTask;
  pthreadpool_parallelize_2d(pool, gemm_task, &x, size_t(blocks), size_t(groups), flags);
}

void gemm_avx512_rows(const PackedGemmB& b, const GemmCall& call, int64_t m0, int64_t m1) {
  if (b.n <= 0 || !gemm_avx512_available()) return;
  gemm_rows(b, call, m0, std::min(m1, call.m), 0, (b.n + kNR - 1) / kNR);
}

}  // namespace tandem::cpu

#else  // not x86-64: callers see the kernel as unavailable

namespace tandem::cpu {
bool gemm_avx512_available() {
  return false;
}
void gemm_avx512(const PackedGemmB&, const GemmCall&, pthreadpool_t, uint32_t) {}
int64_t gemm_avx512_block_rows(int64_t m) {
  return m;
}
void gemm_avx512_rows(const PackedGemmB&, const GemmCall&, int64_t, int64_t) {}
}  // namespace tandem::cpu

#endif
