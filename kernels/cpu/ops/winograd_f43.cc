// Winograd F(4x4, 3x3) for 3x3 stride-1 convolutions: 36 multiplies per 4x4
// output tile and channel pair instead of 144. Input tiles are transformed
// (B^T d B) into 36 matrices [tiles, C], each multiplied by its transformed
// weights (G g G^T, [C, M]) on the own GEMM of the options' x86 level (x86/gemm.h;
// or XNNPACK's fully connected operator; packed once), and the 36 products
// transformed back (A^T m A) with bias and the fused clamp. Transforms run over
// 16 channels at a time (one AVX-512 vector, two AVX2 ones), compiled for that level.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/x86/gemm.h"

// The transform loops run over kLanes channels in plain C++, which the compiler
// vectorizes at the width of the function they are inlined into: one wrapper per
// x86 level (target attributes), chosen from CpuKernelOptions::isa at init.
#define TANDEM_WINO_INLINE __attribute__((always_inline)) inline

namespace tandem::cpu {
namespace {

constexpr int kLanes = 16;
constexpr int64_t kTile = 4;  // output tile side; input tile side is 6

struct Geometry {
  int64_t n, c, h, w, m, oh, ow, pad_top, pad_left, tiles_h, tiles_w, tiles;
  int64_t in_stride, out_stride;
};

Geometry geometry(const Graph& g, const Node& n) {
  const Shape& x = g.tensor(n.inputs[0]).shape;
  const Shape& y = g.tensor(n.outputs[0]).shape;
  Geometry q{};
  q.n = x[0], q.c = x[1], q.h = x[2], q.w = x[3];
  q.m = y[1], q.oh = y[2], q.ow = y[3];
  q.pad_top = n.attrs.pads.empty() ? 0 : n.attrs.pads[0];
  q.pad_left = n.attrs.pads.empty() ? 0 : n.attrs.pads[1];
  q.tiles_h = (q.oh + kTile - 1) / kTile;
  q.tiles_w = (q.ow + kTile - 1) / kTile;
  q.tiles = q.n * q.tiles_h * q.tiles_w;
  return q;
}

// r = B^T d over 6 rows of kLanes values (d[i] points at row i).
#define TANDEM_WINO_BT(r, d, l)                             \
  r[0][l] = 4 * d[0][l] - 5 * d[2][l] + d[4][l];            \
  r[1][l] = -4 * d[1][l] - 4 * d[2][l] + d[3][l] + d[4][l]; \
  r[2][l] = 4 * d[1][l] - 4 * d[2][l] - d[3][l] + d[4][l];  \
  r[3][l] = -2 * d[1][l] - d[2][l] + 2 * d[3][l] + d[4][l]; \
  r[4][l] = 2 * d[1][l] - d[2][l] - 2 * d[3][l] + d[4][l];  \
  r[5][l] = 4 * d[1][l] - 5 * d[3][l] + d[5][l];

// r = A^T x over 6 rows -> 4 rows.
#define TANDEM_WINO_AT(r, x, l)                              \
  r[0][l] = x[0][l] + x[1][l] + x[2][l] + x[3][l] + x[4][l]; \
  r[1][l] = x[1][l] - x[2][l] + 2 * x[3][l] - 2 * x[4][l];   \
  r[2][l] = x[1][l] + x[2][l] + 4 * x[3][l] + 4 * x[4][l];   \
  r[3][l] = x[1][l] - x[2][l] + 8 * x[3][l] - 8 * x[4][l] + x[5][l];

class WinogradKernel : public CpuKernel {
 public:
  Status init(const KernelArgs& a);
  const char* kind() const override {
    if (own_[0].empty()) return "winograd_f43+xnnpack";
    return own_[0].isa == CpuIsa::kAvx2 ? "winograd_f43+gemm_avx2" : "winograd_f43";
  }
  Status run(pthreadpool_t pool) override {
    // Three parallel regions per conv: on a busy machine every barrier can cost a
    // scheduling round, so the 36 GEMMs run side by side, one thread each.
    pthreadpool_parallelize_1d(pool, input_task_, this, size_t(q_.tiles), cpu_pool_flags());
    gemm_failed_ = false;
    pthreadpool_parallelize_1d(pool, gemm_task, this, 36, cpu_pool_flags());
    if (gemm_failed_)
      return internal_error("XNNPACK error running a Winograd GEMM of node '" + name_ + "'");
    pthreadpool_parallelize_1d(pool, output_task_, this, size_t(q_.tiles), cpu_pool_flags());
    return Status();
  }

 private:
  using Task = void (*)(void*, size_t);
  // Tile `index`: its input transform into v_, or its output transform from p_.
  TANDEM_WINO_INLINE static void input_tile(void* ctx, size_t index);
  TANDEM_WINO_INLINE static void output_tile(void* ctx, size_t index);
  static void input_generic(void* ctx, size_t index) { input_tile(ctx, index); }
  static void output_generic(void* ctx, size_t index) { output_tile(ctx, index); }
#if defined(__x86_64__)
  __attribute__((target("avx2,fma"))) static void input_avx2(void* ctx, size_t index) {
    input_tile(ctx, index);
  }
  __attribute__((target("avx2,fma"))) static void output_avx2(void* ctx, size_t index) {
    output_tile(ctx, index);
  }
  __attribute__((target("avx512f"))) static void input_avx512(void* ctx, size_t index) {
    input_tile(ctx, index);
  }
  __attribute__((target("avx512f"))) static void output_avx512(void* ctx, size_t index) {
    output_tile(ctx, index);
  }
#endif
  void choose_transforms(CpuIsa isa);

  static void gemm_task(void* ctx, size_t index) {
    auto* k = static_cast<WinogradKernel*>(ctx);
    if (!k->own_[index].empty()) {
      GemmCall call;
      call.m = k->q_.tiles;
      call.a = k->v_ + int64_t(index) * k->q_.tiles * k->q_.c;
      call.lda = k->q_.c;
      call.c = k->p_ + int64_t(index) * k->q_.tiles * k->q_.m;
      call.ldc = k->q_.m;
      gemm_f32(k->own_[index], call, nullptr, 0);
      return;
    }
    if (xnn_run_operator(k->gemm_[index].get(), nullptr) != xnn_status_success)
      k->gemm_failed_ = true;
  }

  Geometry q_{};
  std::atomic<bool> gemm_failed_{false};
  const float* x_ = nullptr;
  float* y_ = nullptr;
  float* v_ = nullptr;  // 36 x [tiles, C]
  float* p_ = nullptr;  // 36 x [tiles, M]
  std::vector<float> bias_;
  float lo_ = 0, hi_ = 0;
  GatedRowFn silu_ = nullptr;  // x * sigmoid(x) after the clamp (a fused SiLU), or none
  XnnOperator gemm_[36];
  PackedGemmB own_[36];  // the own GEMM of options.isa where it has one, else XNNPACK's

  std::string name_;
  Task input_task_ = input_generic, output_task_ = output_generic;
};

void WinogradKernel::choose_transforms(CpuIsa isa) {
#if defined(__x86_64__)
  if (isa == CpuIsa::kAvx512) input_task_ = input_avx512, output_task_ = output_avx512;
  if (isa == CpuIsa::kAvx2) input_task_ = input_avx2, output_task_ = output_avx2;
#else
  (void)isa;
#endif
}

void WinogradKernel::input_tile(void* ctx, size_t index) {
  const auto* k = static_cast<const WinogradKernel*>(ctx);
  const Geometry& q = k->q_;
  const int64_t t = int64_t(index);
  const int64_t img = t / (q.tiles_h * q.tiles_w);
  const int64_t ti = (t / q.tiles_w) % q.tiles_h, tj = t % q.tiles_w;
  const int64_t y0 = ti * kTile - q.pad_top, x0 = tj * kTile - q.pad_left;
  const float* pix[6][6];
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) {
      int64_t yy = y0 + i, xx = x0 + j;
      pix[i][j] = yy >= 0 && yy < q.h && xx >= 0 && xx < q.w
                      ? k->x_ + ((img * q.h + yy) * q.w + xx) * q.in_stride
                      : nullptr;
    }
  const int64_t plane = q.tiles * q.c;
  for (int64_t c0 = 0; c0 < q.c; c0 += kLanes) {
    const int lanes = int(std::min<int64_t>(kLanes, q.c - c0));
    float d[6][6][kLanes], r[6][6][kLanes], o[6][6][kLanes];
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) {
        if (pix[i][j] && lanes == kLanes) {
          std::memcpy(d[i][j], pix[i][j] + c0, sizeof(float) * kLanes);
        } else {
          for (int l = 0; l < kLanes; ++l)
            d[i][j][l] = pix[i][j] && l < lanes ? pix[i][j][c0 + l] : 0;
        }
      }
    // Rows: r[:, j] = B^T d[:, j]; then columns: o[i, :] = (r[i, :]) B.
    for (int j = 0; j < 6; ++j) {
      float col[6][kLanes], res[6][kLanes];
      for (int i = 0; i < 6; ++i) std::memcpy(col[i], d[i][j], sizeof(col[i]));
      for (int l = 0; l < kLanes; ++l) {
        TANDEM_WINO_BT(res, col, l)
      }
      for (int i = 0; i < 6; ++i) std::memcpy(r[i][j], res[i], sizeof(res[i]));
    }
    for (int i = 0; i < 6; ++i) {
      for (int l = 0; l < kLanes; ++l) {
        TANDEM_WINO_BT(o[i], r[i], l)
      }
    }
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) {
        float* dst = k->v_ + (i * 6 + j) * plane + t * q.c + c0;
        if (lanes == kLanes)
          std::memcpy(dst, o[i][j], sizeof(float) * kLanes);
        else
          for (int l = 0; l < lanes; ++l) dst[l] = o[i][j][l];
      }
  }
}

void WinogradKernel::output_tile(void* ctx, size_t index) {
  const auto* k = static_cast<const WinogradKernel*>(ctx);
  const Geometry& q = k->q_;
  const int64_t t = int64_t(index);
  const int64_t img = t / (q.tiles_h * q.tiles_w);
  const int64_t ti = (t / q.tiles_w) % q.tiles_h, tj = t % q.tiles_w;
  const int64_t plane = q.tiles * q.m;
  const float lo = k->lo_, hi = k->hi_;
  for (int64_t m0 = 0; m0 < q.m; m0 += kLanes) {
    const int lanes = int(std::min<int64_t>(kLanes, q.m - m0));
    float x[6][6][kLanes], r[4][6][kLanes], o[4][4][kLanes];
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) {
        const float* src = k->p_ + (i * 6 + j) * plane + t * q.m + m0;
        if (lanes == kLanes)
          std::memcpy(x[i][j], src, sizeof(float) * kLanes);
        else
          for (int l = 0; l < kLanes; ++l) x[i][j][l] = l < lanes ? src[l] : 0;
      }
    for (int j = 0; j < 6; ++j) {
      float col[6][kLanes], res[4][kLanes];
      for (int i = 0; i < 6; ++i) std::memcpy(col[i], x[i][j], sizeof(col[i]));
      for (int l = 0; l < kLanes; ++l) {
        TANDEM_WINO_AT(res, col, l)
      }
      for (int i = 0; i < 4; ++i) std::memcpy(r[i][j], res[i], sizeof(res[i]));
    }
    float bias[kLanes];
    for (int l = 0; l < kLanes; ++l) bias[l] = l < lanes ? k->bias_[size_t(m0 + l)] : 0;
    for (int i = 0; i < 4; ++i) {
      for (int l = 0; l < kLanes; ++l) {
        TANDEM_WINO_AT(o[i], r[i], l)
      }
      for (int j = 0; j < 4; ++j)
        for (int l = 0; l < kLanes; ++l)
          o[i][j][l] = std::min(std::max(o[i][j][l] + bias[l], lo), hi);
    }
    if (k->silu_) k->silu_(&o[0][0][0], &o[0][0][0], 4 * 4 * kLanes, 0, 0);
    for (int i = 0; i < 4; ++i) {
      int64_t yy = ti * kTile + i;
      if (yy >= q.oh) break;
      for (int j = 0; j < 4; ++j) {
        int64_t xx = tj * kTile + j;
        if (xx >= q.ow) break;
        float* dst = k->y_ + ((img * q.oh + yy) * q.ow + xx) * q.out_stride + m0;
        if (lanes == kLanes)
          std::memcpy(dst, o[i][j], sizeof(float) * kLanes);
        else
          for (int l = 0; l < lanes; ++l) dst[l] = o[i][j][l];
      }
    }
  }
}

Status WinogradKernel::init(const KernelArgs& a) {
  const Node& n = *a.node;
  name_ = n.name;
  q_ = geometry(*a.g, n);
  q_.in_stride = a.inputs[0].pixel_stride;
  q_.out_stride = a.outputs[0].pixel_stride;
  x_ = a.inputs[0].data;
  y_ = a.outputs[0].data;
  v_ = a.workspace;
  p_ = a.workspace + 36 * q_.tiles * q_.c;
  lo_ = n.attrs.activation.min;
  hi_ = n.attrs.activation.max;
  if (a.silu) silu_ = silu_row_for(a.options.isa);
  bias_.assign(size_t(q_.m), 0.0f);
  if (a.inputs.size() > 2 && a.inputs[2].data)
    std::copy(a.inputs[2].data, a.inputs[2].data + q_.m, bias_.begin());
  // U = G g G^T per (m, c), stored as 36 matrices [M, C] (XNNPACK's FC layout).
  static const float G[6][3] = {{1.0f / 4, 0, 0},
                                {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                                {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                                {1.0f / 24, 1.0f / 12, 1.0f / 6},
                                {1.0f / 24, -1.0f / 12, 1.0f / 6},
                                {0, 0, 1}};
  const float* w = a.inputs[1].data;
  std::vector<float> u(size_t(36 * q_.m * q_.c));
  for (int64_t m = 0; m < q_.m; ++m)
    for (int64_t c = 0; c < q_.c; ++c) {
      const float* g = w + (m * q_.c + c) * 9;
      float t[6][3];
      for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 3; ++j)
          t[i][j] = G[i][0] * g[0 * 3 + j] + G[i][1] * g[1 * 3 + j] + G[i][2] * g[2 * 3 + j];
      for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j)
          u[size_t(((i * 6 + j) * q_.m + m) * q_.c + c)] =
              t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2];
    }
  choose_transforms(a.options.isa);
  const float inf = std::numeric_limits<float>::infinity();
  // The 36 products on the own GEMM (AVX-512 measured): 1.07-1.47x faster per layer than on
  // XNNPACK's fully connected operator (bench_cpu_kernels conv2d_winograd/, 1 thread).
  if (a.options.gemm != CpuKernelOptions::Gemm::kXnnpack && gemm_isa_supported(a.options.isa)) {
    for (int k = 0; k < 36; ++k) {
      const float* uk = u.data() + k * q_.m * q_.c;
      own_[k] = pack_gemm_b(a.options.isa, q_.c, q_.m, nullptr,
                            [&](int64_t c, int64_t m) { return uk[m * q_.c + c]; });
    }
    consumed_constants.push_back(n.inputs[1]);
    if (a.inputs.size() > 2 && a.inputs[2].data) consumed_constants.push_back(n.inputs[2]);
    return Status();
  }
  for (int k = 0; k < 36; ++k) {
    xnn_operator_t op = nullptr;
    enum xnn_status st =
        xnn_create_fully_connected_nc_f32(size_t(q_.c), size_t(q_.m), size_t(q_.c), size_t(q_.m),
                                          u.data() + k * q_.m * q_.c, nullptr, -inf, inf, 0, &op);
    if (st != xnn_status_success) return xnn_error(st, "create Winograd GEMM", n);
    gemm_[k].reset(op);
    st = xnn_setup_fully_connected_nc_f32(op, size_t(q_.tiles), v_ + k * q_.tiles * q_.c,
                                          p_ + k * q_.tiles * q_.m, nullptr);
    if (st != xnn_status_success) return xnn_error(st, "setup Winograd GEMM", n);
  }
  consumed_constants.push_back(n.inputs[1]);
  if (a.inputs.size() > 2 && a.inputs[2].data) consumed_constants.push_back(n.inputs[2]);
  return Status();
}

}  // namespace

bool winograd_f43_applicable(const Graph& g, const Node& n) {
  const NodeAttrs& at = n.attrs;
  const Shape& w = g.tensor(n.inputs[1]).shape;
  if (at.group != 1 || w[2] != 3 || w[3] != 3) return false;
  for (int64_t s : at.strides)
    if (s != 1) return false;
  for (int64_t d : at.dilations)
    if (d != 1) return false;
  return true;
}

bool winograd_f43_profitable(const Graph& g, const Node& n, int threads, CpuIsa isa) {
  Geometry q = geometry(g, n);
  const int64_t pixels = q.oh * q.ow;
  // Several threads (or no own GEMM): layers of at least 14x14 with 64 outputs, or
  // 28x28; one thread: 16 tiles, or transformed weights within L2 (docs/cpu_processor.md,
  // measurements behind the rules).
  if (threads > 1 || !gemm_isa_supported(isa))
    return q.c >= 32 && q.m >= 32 && pixels >= 14 * 14 && (q.m >= 64 || pixels >= 28 * 28);
  return q.c >= 16 && q.m >= 32 && (q.tiles >= 16 || 36 * q.c * q.m * 4 <= (1 << 20));
}

size_t winograd_f43_workspace_floats(const Graph& g, const Node& n) {
  Geometry q = geometry(g, n);
  return size_t(36 * q.tiles * (q.c + q.m));
}

Expected<KernelPtr> make_winograd_f43(const KernelArgs& a) {
  if (!a.workspace) return internal_error("Winograd conv '" + a.node->name + "' has no workspace");
  auto k = std::make_unique<WinogradKernel>();
  TANDEM_RETURN_IF_ERROR(k->init(a));
  return KernelPtr(std::move(k));
}

}  // namespace tandem::cpu
