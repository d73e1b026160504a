// Dense (group 1) convolution as one GEMM on the own kernel of the ISA level in
// use (gemm.h: AVX-512 or AVX2): rows are output pixels, columns output channels, K runs over
// (ky, kx, c). A 1x1 stride-1 unpadded conv reads its NHWC input in place; a
// conv on few channels (a stem) reads a zero-padded copy through offsets; any
// other shape gathers its patches (im2col) into the range's workspace, one M
// block at a time where there are enough rows.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>

#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/ops/conv_geometry.h"
#include "kernels/cpu/x86/gemm.h"
#include "kernels/cpu/x86/norm_rows.h"

namespace tandem::cpu {
namespace {

using RowOp = void (*)(const float*, float*, int64_t);

// Whether an im2col conv of `rows` output pixels gathers and multiplies its patches
// block by block (enough rows), rather than all patches first.
bool blocked(int64_t block_rows, int64_t rows) {
  return block_rows * 4 <= rows;
}

// The GELU rows of a fused Gelu at the GEMM's level (kinds as in ops/gelu.cc).
RowOp gelu_row(GeluApproximate mode, CpuIsa isa) {
  const bool tanh = mode == GeluApproximate::kTanh;
#if defined(__x86_64__)
  if (isa == CpuIsa::kAvx512) return tanh ? avx512::gelu_tanh_row : avx512::gelu_erf_row;
  return tanh ? avx2::gelu_tanh_row : avx2::gelu_erf_row;
#else
  (void)tanh, (void)isa;
  return nullptr;
#endif
}

class GemmConvKernel : public CpuKernel {
 public:
  Status init(const KernelArgs& a) {
    const Node& nd = *a.node;
    q_ = conv_geometry(*a.g, nd);
    x_ = a.inputs[0].data;
    in_stride_ = a.inputs[0].pixel_stride;
    const float* w = a.inputs[1].data;
    const float* bias = a.inputs.size() > 2 && a.inputs[2].data ? a.inputs[2].data : nullptr;
    const int64_t kk = q_.kh * q_.kw, c = q_.c;
    // B(k, m) with k = (ky * kw + kx) * C + ci, from ONNX [M, C, kh, kw].
    isa_ = a.options.isa;
    b_ = pack_gemm_b(isa_, q_.depth(), q_.m, bias,
                     [&](int64_t k, int64_t m) { return w[(m * c + k % c) * kk + k / c]; });
    call_.m = q_.rows();
    block_rows_ = gemm_block_rows(isa_, call_.m);
    if (q_.direct()) {
      call_.a = x_;
      call_.lda = in_stride_;
    } else if (q_.indexed()) {
      if (!a.workspace) return internal_error("GEMM conv '" + nd.name + "' has no workspace");
      padded_ = a.workspace;
      // The padded copy keeps the input's layout: NHWC, or NCHW when the compiler left
      // a range input as the caller gave it (CpuOpSupport::reads_nchw).
      nchw_ = !a.inputs[0].nhwc;
      const int64_t hp = q_.padded_h(), wp = q_.padded_w();
      for (int64_t ky = 0; ky < q_.kh; ++ky)
        for (int64_t kx = 0; kx < q_.kw; ++kx)
          for (int64_t ci = 0; ci < c; ++ci)
            offsets_.push_back(int32_t(nchw_ ? (ci * hp + ky * q_.dh) * wp + kx * q_.dw
                                             : (ky * q_.dh * wp + kx * q_.dw) * c + ci));
      call_.a_offsets = offsets_.data();
      call_.lda = nchw_ ? q_.sw : q_.sw * c;
      call_.m = q_.ow;  // one output row per call
    } else {
      if (!a.workspace) return internal_error("GEMM conv '" + nd.name + "' has no workspace");
      patches_ = a.workspace;
      call_.a = patches_;
      call_.lda = q_.depth();
      if (blocked(block_rows_, call_.m)) {
        slots_ = std::max(1, a.options.threads);
        busy_ = std::make_unique<std::atomic<bool>[]>(size_t(slots_));
      }
    }
    call_.c = a.outputs[0].data;
    call_.ldc = a.outputs[0].pixel_stride;
    call_.lo = nd.attrs.activation.min;
    call_.hi = nd.attrs.activation.max;
    if (a.residual.data) {  // Conv -> Add [-> Relu] fused by the compiler
      call_.r = a.residual.data;
      call_.ldr = a.residual.pixel_stride;
      call_.lo = a.activation.min;
      call_.hi = a.activation.max;
    }
    call_.silu = a.silu;
    if (a.gelu) call_.row_op = gelu_row(a.gelu->attrs.gelu_approximate, isa_);
    consumed_constants.push_back(nd.inputs[1]);
    if (bias) consumed_constants.push_back(nd.inputs[2]);
    return Status();
  }

  const char* kind() const override {
    if (isa_ == CpuIsa::kAvx2) return nchw_ ? "gemm_avx2_nchw" : "gemm_avx2";
    return nchw_ ? "gemm_avx512_nchw" : "gemm_avx512";
  }

  Status run(pthreadpool_t pool) override {
    if (padded_) {
      pthreadpool_parallelize_1d(pool, nchw_ ? pad_task_nchw : pad_task, this,
                                 size_t(q_.n * (nchw_ ? q_.c : 1) * q_.padded_h()),
                                 cpu_pool_flags());
      pthreadpool_parallelize_1d(pool, row_task, this, size_t(q_.n * q_.oh), cpu_pool_flags());
    } else if (!patches_) {
      gemm_f32(b_, call_, pool, cpu_pool_flags());
    } else if (slots_ > 0) {
      // Each task gathers one M block's patches into a free slot of the workspace (one
      // per thread) and multiplies them while they are in L2.
      pthreadpool_parallelize_1d(pool, block_task, this,
                                 size_t((call_.m + block_rows_ - 1) / block_rows_),
                                 cpu_pool_flags());
    } else {  // few rows (7x7 maps): gather all, then split the GEMM over columns too
      pthreadpool_parallelize_1d(pool, gather_task, this, size_t(q_.n * q_.oh), cpu_pool_flags());
      gemm_f32(b_, call_, pool, cpu_pool_flags());
    }
    return Status();
  }

 private:
  // Row `index` (image-major) of the zero-padded input copy.
  static void pad_task(void* ctx, size_t index) {
    const auto* k = static_cast<const GemmConvKernel*>(ctx);
    const ConvGeometry& q = k->q_;
    const int64_t hp = q.padded_h(), wp = q.padded_w();
    const int64_t img = int64_t(index) / hp, y = int64_t(index) % hp - q.pt;
    float* dst = k->padded_ + int64_t(index) * wp * q.c;
    if (y < 0 || y >= q.h) {
      std::memset(dst, 0, sizeof(float) * size_t(wp * q.c));
      return;
    }
    std::memset(dst, 0, sizeof(float) * size_t(q.pl * q.c));
    const float* src = k->x_ + (img * q.h + y) * q.w * k->in_stride_;
    if (k->in_stride_ == q.c) {
      std::memcpy(dst + q.pl * q.c, src, sizeof(float) * size_t(q.w * q.c));
    } else {
      for (int64_t x = 0; x < q.w; ++x)
        std::memcpy(dst + (q.pl + x) * q.c, src + x * k->in_stride_, sizeof(float) * size_t(q.c));
    }
    const int64_t right = wp - q.pl - q.w;
    if (right > 0) std::memset(dst + (q.pl + q.w) * q.c, 0, sizeof(float) * size_t(right * q.c));
  }

  // Row `index` (image, channel, row order) of the zero-padded NCHW copy.
  static void pad_task_nchw(void* ctx, size_t index) {
    const auto* k = static_cast<const GemmConvKernel*>(ctx);
    const ConvGeometry& q = k->q_;
    const int64_t hp = q.padded_h(), wp = q.padded_w();
    const int64_t plane = int64_t(index) / hp, y = int64_t(index) % hp - q.pt;
    float* dst = k->padded_ + int64_t(index) * wp;
    if (y < 0 || y >= q.h) {
      std::memset(dst, 0, sizeof(float) * size_t(wp));
      return;
    }
    std::memset(dst, 0, sizeof(float) * size_t(q.pl));
    std::memcpy(dst + q.pl, k->x_ + (plane * q.h + y) * q.w, sizeof(float) * size_t(q.w));
    const int64_t right = wp - q.pl - q.w;
    if (right > 0) std::memset(dst + q.pl + q.w, 0, sizeof(float) * size_t(right));
  }

  // Output row `index` (image-major) on the padded copy.
  static void row_task(void* ctx, size_t index) {
    const auto* k = static_cast<const GemmConvKernel*>(ctx);
    const ConvGeometry& q = k->q_;
    const int64_t img = int64_t(index) / q.oh, oy = int64_t(index) % q.oh;
    GemmCall row = k->call_;
    row.a = k->nchw_ ? k->padded_ + (img * q.c * q.padded_h() + oy * q.sh) * q.padded_w()
                     : k->padded_ + (img * q.padded_h() + oy * q.sh) * q.padded_w() * q.c;
    row.c += int64_t(index) * q.ow * row.ldc;
    if (row.r) row.r += int64_t(index) * q.ow * row.ldr;
    gemm_f32_rows(k->b_, row, 0, q.ow);
  }

  static void block_task(void* ctx, size_t index) {
    const auto* k = static_cast<const GemmConvKernel*>(ctx);
    const int64_t m0 = int64_t(index) * k->block_rows_;
    const int64_t m1 = std::min(k->call_.m, m0 + k->block_rows_);
    const int64_t depth = k->q_.depth();
    const int slot = k->acquire_slot();
    float* patches = k->patches_ + slot * k->block_rows_ * depth;
    for (int64_t m = m0; m < m1; ++m) k->gather_pixel(m, patches + (m - m0) * depth);
    GemmCall block = k->call_;
    block.m = m1 - m0;
    block.a = patches;
    block.c += m0 * block.ldc;
    if (block.r) block.r += m0 * block.ldr;
    gemm_f32_rows(k->b_, block, 0, block.m);
    k->busy_[size_t(slot)].store(false, std::memory_order_release);
  }

  // A slot no other task holds: at most one task per thread runs at a time, so with
  // a slot per thread one is always free (the scan only retries on a pool wider
  // than the slots, waiting for a holder to finish).
  int acquire_slot() const {
    for (int s = 0;; s = (s + 1) % slots_)
      if (!busy_[size_t(s)].exchange(true, std::memory_order_acquire)) return s;
  }

  static void gather_task(void* ctx, size_t index) {
    const auto* k = static_cast<const GemmConvKernel*>(ctx);
    const int64_t m0 = int64_t(index) * k->q_.ow;
    for (int64_t m = m0; m < m0 + k->q_.ow; ++m)
      k->gather_pixel(m, k->patches_ + m * k->q_.depth());
  }

  // The patch of output pixel m: kh*kw runs of C floats (zeros where the window
  // leaves the image); with unit pixel stride and dilation a window row is one
  // run of kw*C floats.
  void gather_pixel(int64_t m, float* dst) const {
    const ConvGeometry& q = q_;
    const int64_t img = m / (q.oh * q.ow), oy = m / q.ow % q.oh, ox = m % q.ow;
    const bool runs = in_stride_ == q.c && q.dw == 1;
    const int64_t ix0 = ox * q.sw - q.pl;
    for (int64_t ky = 0; ky < q.kh; ++ky) {
      const int64_t iy = oy * q.sh - q.pt + ky * q.dh;
      const float* row = x_ + (img * q.h + iy) * q.w * in_stride_;
      if (runs && iy >= 0 && iy < q.h && ix0 >= 0 && ix0 + q.kw <= q.w) {
        std::memcpy(dst, row + ix0 * q.c, sizeof(float) * size_t(q.kw * q.c));
        dst += q.kw * q.c;
        continue;
      }
      for (int64_t kx = 0; kx < q.kw; ++kx, dst += q.c) {
        const int64_t ix = ix0 + kx * q.dw;
        if (iy < 0 || iy >= q.h || ix < 0 || ix >= q.w)
          std::memset(dst, 0, sizeof(float) * size_t(q.c));
        else
          std::memcpy(dst, row + ix * in_stride_, sizeof(float) * size_t(q.c));
      }
    }
  }

  ConvGeometry q_{};
  const float* x_ = nullptr;
  int64_t in_stride_ = 0;
  float* patches_ = nullptr;
  float* padded_ = nullptr;
  bool nchw_ = false;
  std::vector<int32_t> offsets_;
  int64_t block_rows_ = 0;
  int slots_ = 0;  // im2col blocks: workspace slots of block_rows_ patches (0: all patches)
  std::unique_ptr<std::atomic<bool>[]> busy_;
  CpuIsa isa_ = CpuIsa::kAvx512;
  PackedGemmB b_;
  GemmCall call_;
};

}  // namespace

namespace {

// AVX2: measured with isa=avx2 on an AVX-512 machine, XNNPACK limited to its AVX2
// kernels too (bench_cpu_kernels with TANDEM_BENCH_ISA=avx2, 1 thread, min CPU time
// of 5 interleaved repetitions, 2026-12-01): the own GEMM won on every dense conv of
// ResNet-50, MobileNetV2, DenseNet-121, VGG19 and MnasNet, 1.02-2.1x (1x1 convs
// 1.5-2.1x from 32 input channels, 1.02-1.2x at 16; im2col 3x3 1.1-2.0x, even where
// the patch matrix leaves the cache; stems 1.3-1.9x). XNNPACK 2022's AVX2 GEMM
// spills an accumulator every K step (docs/cpu_processor.md). Depth below 16 was not
// measured, so it stays on XNNPACK.
bool gemm_conv_profitable_avx2(const ConvGeometry& q) {
  return q.depth() >= 16;
}

}  // namespace

bool gemm_conv_applicable(const Graph& g, const Node& n, CpuIsa isa) {
  return n.attrs.group == 1 && gemm_isa_supported(isa) && g.tensor(n.inputs[1]).shape.size() == 4;
}

bool gemm_conv_reads_nchw(const Graph& g, const Node& n) {
  return conv_geometry(g, n).indexed();
}

bool gemm_conv_profitable(const Graph& g, const Node& n, CpuIsa isa) {
  const ConvGeometry q = conv_geometry(g, n);
  if (isa == CpuIsa::kAvx2) return gemm_conv_profitable_avx2(q);
  // Stems on the padded input, 1x1 from 32 inputs, im2col 3x3 from 128 channels while
  // the patches fit in cache (docs/cpu_processor.md, measurements behind the rules).
  if (q.indexed()) return q.m >= 16;
  if (q.kh == 1 && q.kw == 1) return q.c >= 32 && q.m >= 24;
  // Dilated 3x3s (FCN-ResNet50's layer3/layer4 at 65x65, C = 256 and 512): XNNPACK 2022's
  // dilated convolution ran 2.1-2.3x slower than the blocked im2col GEMM
  // (bench_cpu_kernels conv2d{,_gemm}/fcn_resnet50/*, 1 thread, medians of 3).
  if (q.dh > 1 || q.dw > 1) return q.c >= 128 && q.m >= 64;
  const double patches = double(q.rows()) * double(q.depth());
  return q.c >= 128 && q.m >= 64 && patches <= double(1 << 22);
}

size_t gemm_conv_workspace_floats(const Graph& g, const Node& n, CpuIsa isa, int threads) {
  const ConvGeometry q = conv_geometry(g, n);
  if (q.direct()) return 0;
  if (q.indexed()) return size_t(q.n * q.padded_h() * q.padded_w() * q.c);
  const int64_t block_rows = gemm_block_rows(isa, q.rows());
  if (blocked(block_rows, q.rows())) return size_t(std::max(1, threads) * block_rows * q.depth());
  return size_t(q.rows() * q.depth());
}

Expected<KernelPtr> make_gemm_conv(const KernelArgs& a) {
  auto k = std::make_unique<GemmConvKernel>();
  TANDEM_RETURN_IF_ERROR(k->init(a));
  return KernelPtr(std::move(k));
}

}  // namespace tandem::cpu
