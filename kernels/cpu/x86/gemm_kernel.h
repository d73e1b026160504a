// The blocked GEMM of gemm.h, written once over the SIMD layer. Not a normal
// header: gemm_avx512.cc and gemm_avx2.cc include it inside their target
// pragma and a namespace of their own (tandem::cpu::avx512 / ::avx2), after
// <algorithm>, <array>, <utility>, gemm.h, their simd_*.h and
// gated_rows_impl.h (silu_v), and after defining
//
//   using S = Avx512F32;            // the vector type (simd_avx512.h / simd_avx2.h)
//   constexpr int kMR = 12;         // rows per micro-tile
//   constexpr int kVecs = 2;        // vectors per tile row (panel width kVecs * S::kLanes)
//   constexpr int kMRHalf = 24;     // rows per tile of the one-vector kernel
//   constexpr int64_t kKC, kMC;     // K and M blocks
//   constexpr int64_t kPrefetchRows;       // B rows fetched ahead of the one in use
//   constexpr int64_t kPanelMajorBytes;    // rows x K of A up to this run panel-major
//
// so each level compiles its own copy (no ODR merge of two instantiations).

constexpr int64_t kNR = kVecs * S::kLanes;  // columns per packed B panel
// Panels per task: C's MC x 128 block is revisited once per K block.
constexpr int64_t kPanelsPerTask = 128 / kNR;

struct Tile {
  int64_t kc;
  const float* a;
  const int32_t* off;  // indexed A: offsets of this K block, else nullptr
  int64_t lda;
  const float* b;  // packed panel rows k0.., kNR floats each, 64-byte aligned
  float* c;
  int64_t ldc;
  const float* bias;  // kNR values
  const float* r;     // residual tile or nullptr
  int64_t ldr;
  bool first, last;
  bool full;  // all columns the kernel covers are live (no masked loads or stores)
  bool silu;  // x * sigmoid(x) after the clamp
  float lo, hi;
  S::Mask mask[kVecs];  // live lanes of each vector of a tile row
};

// C tile (MR x NV vectors) += A tile (MR x kc) * B panel (kc x NV vectors); bias on
// the first K block, residual and clamp on the last. NV is kVecs, or 1 for a panel
// with at most one vector of live columns (the other FMAs would be on zeros).
template <int MR, int NV, bool kIndexed>
void micro_kernel(const Tile& t) {
  using V = S::V;
  constexpr int L = S::kLanes;
  if (t.last && t.r) {
    // The residual is read once, in column panels, usually from memory: fetch the
    // tile four tiles ahead now (past the end is harmless: a prefetch never faults).
#pragma GCC unroll 24
    for (int r = 0; r < MR; ++r)
      for (int o = 0; o < NV * L; o += 16) S::prefetch(t.r + (4 * MR + r) * t.ldr + o);
  }
  V c[MR][NV];
  if (t.first) {
    V bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = S::loadu(t.bias + v * L);
#pragma GCC unroll 24
    for (int r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v) c[r][v] = bv[v];
  } else {
#pragma GCC unroll 24
    for (int r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v)
        c[r][v] = t.full ? S::loadu(t.c + r * t.ldc + v * L)
                         : S::load_mask(t.mask[v], t.c + r * t.ldc + v * L);
  }
  const float* a = t.a;
  const float* b = t.b;
  const int64_t lda = t.lda;
  const int32_t* off = t.off;
  const int64_t kc = t.kc;
  for (int64_t p = 0; p < kc; ++p, b += kNR) {
    // B's panels lie one after another, K block after K block: fetching the row
    // kPrefetchRows ahead streams the weights in (past the end is harmless).
    for (int o = 0; o < NV * L; o += 16) S::prefetch(b + kPrefetchRows * kNR + o);
    V bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = S::load(b + v * L);
    const float* ap = kIndexed ? a + off[p] : a + p;
#pragma GCC unroll 24
    for (int r = 0; r < MR; ++r) {
      const V av = S::broadcast(ap + r * lda);
      for (int v = 0; v < NV; ++v) c[r][v] = S::fmadd(av, bv[v], c[r][v]);
    }
  }
  if (t.last) {
    const V lo = S::set1(t.lo), hi = S::set1(t.hi);
#pragma GCC unroll 24
    for (int r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v) {
        if (t.r) c[r][v] = S::add(c[r][v], S::load_mask(t.mask[v], t.r + r * t.ldr + v * L));
        c[r][v] = S::clamp(c[r][v], lo, hi);
        if (t.silu) c[r][v] = silu_v<S>(c[r][v]);
      }
  }
#pragma GCC unroll 24
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) {
      if (t.full)
        S::storeu(t.c + r * t.ldc + v * L, c[r][v]);
      else
        S::store_mask(t.mask[v], t.c + r * t.ldc + v * L, c[r][v]);
    }
}

using MicroKernel = void (*)(const Tile&);

template <int NV, bool kIndexed, size_t... I>
constexpr std::array<MicroKernel, sizeof...(I)> kernel_table(std::index_sequence<I...>) {
  return {(I == 0 ? nullptr : micro_kernel<int(I), NV, kIndexed>)...};
}
template <bool kIndexed>
constexpr auto kMicro = kernel_table<kVecs, kIndexed>(std::make_index_sequence<kMR + 1>());
// A panel with at most one vector of live columns (N = 16, 48, 144, ... on
// AVX-512): one accumulator per row and up to kMRHalf rows (the same FMAs per K
// step, one B load). Measured on AVX-512 (interleaved, 1 thread): MnasNet 3.61 ->
// 3.51 ms (its 48- and 144-wide expansions), MobileNetV2 and DenseNet-121 unchanged.
template <bool kIndexed>
constexpr auto kMicroHalf = kernel_table<1, kIndexed>(std::make_index_sequence<kMRHalf + 1>());

// Sets the columns of panel j in t: masks, and whether they are all live.
inline void set_columns(Tile& t, int64_t cols, bool half) {
  for (int v = 0; v < kVecs; ++v) t.mask[v] = S::mask(cols - v * S::kLanes);
  t.full = cols >= (half ? S::kLanes : kNR);
}

// Rows [m0, m1) times panels [j0, j1), over all of K.
inline void gemm_rows(const PackedGemmB& b, const GemmCall& call, int64_t m0, int64_t m1,
                      int64_t j0, int64_t j1) {
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
  t.silu = call.silu;
  auto run_panel_block = [&](int64_t j, int64_t k0) {
    t.kc = std::min(kKC, k - k0);
    t.first = k0 == 0;
    t.last = k0 + t.kc == k;
    t.off = call.a_offsets ? call.a_offsets + k0 : nullptr;
    const int64_t cols = std::min<int64_t>(kNR, n - j * kNR);
    const bool half = cols <= S::kLanes;
    set_columns(t, cols, half);
    t.b = panels + (j * k + k0) * kNR;
    t.bias = b.bias.data() + j * kNR;
    // Tiles of nearly equal height (a 49-row block runs 10+10+10+10+9, not 12x4+1).
    const int64_t max_rows = half ? kMRHalf : kMR;
    const int64_t tiles = (rows + max_rows - 1) / max_rows;
    const int64_t base = rows / tiles, extra = rows % tiles;
    const MicroKernel* table =
        half ? (call.a_offsets ? kMicroHalf<true>.data() : kMicroHalf<false>.data())
             : (call.a_offsets ? kMicro<true>.data() : kMicro<false>.data());
    int64_t r = m0;
    for (int64_t i = 0; i < tiles; ++i) {
      const int64_t mr = base + (i < extra ? 1 : 0);
      t.a = call.a + r * call.lda + (call.a_offsets ? 0 : k0);
      t.c = call.c + r * call.ldc + j * kNR;
      t.r = call.r ? call.r + r * call.ldr + j * kNR : nullptr;
      table[mr](t);
      if (t.last && call.row_op)
        for (int64_t q = 0; q < mr; ++q) call.row_op(t.c + q * t.ldc, t.c + q * t.ldc, cols);
      r += mr;
    }
  };
  const int64_t panel_major =
      call.panel_major_bytes > 0 ? call.panel_major_bytes : kPanelMajorBytes;
  if (rows * k * int64_t(sizeof(float)) <= panel_major) {
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

inline int64_t block_rows(int64_t m) {
  const int64_t blocks = std::max<int64_t>(1, (m + kMC - 1) / kMC);
  return (m + blocks - 1) / blocks;
}

// One task: the rows of M block `mb` times the panels of group `ng`.
inline void gemm_task(void* ctx_ptr, size_t mb, size_t ng) {
  const auto& x = *static_cast<const Context*>(ctx_ptr);
  const int64_t m0 = int64_t(mb) * x.rows_per_block;
  const int64_t j0 = int64_t(ng) * kPanelsPerTask;
  gemm_rows(*x.b, x.call, m0, std::min(x.call.m, m0 + x.rows_per_block), j0,
            std::min(x.panels, j0 + kPanelsPerTask));
}

inline void gemm(const PackedGemmB& b, const GemmCall& call, pthreadpool_t pool, uint32_t flags) {
  Context x{&b, call, block_rows(call.m), (b.n + kNR - 1) / kNR};
  const int64_t blocks = (call.m + x.rows_per_block - 1) / x.rows_per_block;
  const int64_t groups = (x.panels + kPanelsPerTask - 1) / kPanelsPerTask;
  pthreadpool_parallelize_2d(pool, gemm_task, &x, size_t(blocks), size_t(groups), flags);
}

inline void gemm_rows_all(const PackedGemmB& b, const GemmCall& call, int64_t m0, int64_t m1) {
  gemm_rows(b, call, m0, std::min(m1, call.m), 0, (b.n + kNR - 1) / kNR);
}
