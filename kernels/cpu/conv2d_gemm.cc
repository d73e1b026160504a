// Dense (group 1) convolution as one GEMM on the own AVX-512 kernel
// (gemm_avx512.h): rows are output pixels, columns output channels, K runs over
// (ky, kx, c). A 1x1 stride-1 unpadded conv reads its NHWC input in place; any
// other shape first gathers its patches (im2col) into the range's workspace.
#include <algorithm>
#include <cstring>

#include "kernels/cpu/cpu_kernel.h"
#include "kernels/cpu/gemm_avx512.h"

namespace tandem::cpu {
namespace {

struct ConvGeometry {
  int64_t n, c, h, w, m, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl;
  int64_t rows() const { return n * oh * ow; }
  int64_t depth() const { return kh * kw * c; }
  bool direct() const {  // A is the input itself
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0;
  }
};

ConvGeometry conv_geometry(const Graph& g, const Node& nd) {
  const Shape& x = g.tensor(nd.inputs[0]).shape;
  const Shape& wt = g.tensor(nd.inputs[1]).shape;
  const Shape& y = g.tensor(nd.outputs[0]).shape;
  const NodeAttrs& at = nd.attrs;
  auto at_or = [](const std::vector<int64_t>& v, size_t i, int64_t d) {
    return v.size() > i ? v[i] : d;
  };
  ConvGeometry q{};
  q.n = x[0], q.c = x[1], q.h = x[2], q.w = x[3];
  q.m = y[1], q.oh = y[2], q.ow = y[3];
  q.kh = wt[2], q.kw = wt[3];
  q.sh = at_or(at.strides, 0, 1), q.sw = at_or(at.strides, 1, 1);
  q.dh = at_or(at.dilations, 0, 1), q.dw = at_or(at.dilations, 1, 1);
  q.pt = at_or(at.pads, 0, 0), q.pl = at_or(at.pads, 1, 0);
  return q;
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
    b_ = pack_gemm_b(q_.depth(), q_.m, bias,
                     [&](int64_t k, int64_t m) { return w[(m * c + k % c) * kk + k / c]; });
    call_.m = q_.rows();
    if (q_.direct()) {
      call_.a = x_;
      call_.lda = in_stride_;
    } else {
      if (!a.workspace) return internal_error("GEMM conv '" + nd.name + "' has no workspace");
      patches_ = a.workspace;
      call_.a = patches_;
      call_.lda = q_.depth();
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
    consumed_constants.push_back(nd.inputs[1]);
    if (bias) consumed_constants.push_back(nd.inputs[2]);
    return Status();
  }

  Status run(pthreadpool_t pool) override {
    if (patches_)
      pthreadpool_parallelize_1d(pool, gather_task, this, size_t(q_.n * q_.oh), cpu_pool_flags());
    gemm_avx512(b_, call_, pool, cpu_pool_flags());
    return Status();
  }

 private:
  // Patches of one output row: for each output pixel, kh*kw runs of C floats
  // (zeros where the window leaves the image).
  static void gather_task(void* ctx, size_t index) {
    const auto* k = static_cast<const GemmConvKernel*>(ctx);
    const ConvGeometry& q = k->q_;
    const int64_t img = int64_t(index) / q.oh, oy = int64_t(index) % q.oh;
    float* dst = k->patches_ + int64_t(index) * q.ow * q.depth();
    // With unit pixel stride and dilation a window row is one run of kw*C floats.
    const bool runs = k->in_stride_ == q.c && q.dw == 1;
    for (int64_t ox = 0; ox < q.ow; ++ox)
      for (int64_t ky = 0; ky < q.kh; ++ky) {
        const int64_t iy = oy * q.sh - q.pt + ky * q.dh;
        const int64_t ix0 = ox * q.sw - q.pl;
        if (runs && iy >= 0 && iy < q.h && ix0 >= 0 && ix0 + q.kw <= q.w) {
          std::memcpy(dst, k->x_ + ((img * q.h + iy) * q.w + ix0) * q.c,
                      sizeof(float) * size_t(q.kw * q.c));
          dst += q.kw * q.c;
          continue;
        }
        for (int64_t kx = 0; kx < q.kw; ++kx, dst += q.c) {
          const int64_t ix = ix0 + kx * q.dw;
          if (iy < 0 || iy >= q.h || ix < 0 || ix >= q.w) {
            std::memset(dst, 0, sizeof(float) * size_t(q.c));
          } else {
            std::memcpy(dst, k->x_ + ((img * q.h + iy) * q.w + ix) * k->in_stride_,
                        sizeof(float) * size_t(q.c));
          }
        }
      }
  }

  ConvGeometry q_{};
  const float* x_ = nullptr;
  int64_t in_stride_ = 0;
  float* patches_ = nullptr;
  PackedGemmB b_;
  GemmCall call_;
};

}  // namespace

bool gemm_conv_applicable(const Graph& g, const Node& n) {
  return n.attrs.group == 1 && gemm_avx512_available() && g.tensor(n.inputs[1]).shape.size() == 4;
}

bool gemm_conv_profitable(const Graph& g, const Node& n) {
  const ConvGeometry q = conv_geometry(g, n);
  // Measured against XNNPACK's direct convolution (bench_cpu_kernels conv2d_gemm/ vs
  // conv2d/, 1 thread, 2026-11-26): 1x1 convs 1.15-1.26x faster from 32 input
  // channels (0.64x with 16 outputs: half of each 32-wide panel idle); im2col 3x3
  // convs 1.14-1.23x from 128 channels (0.76-1.0x at 64 channels and 112-224 pixels
  // square, where the patch matrix no longer fits in cache); stems with 3 channels
  // 0.5-0.65x.
  if (q.kh == 1 && q.kw == 1) return q.c >= 32 && q.m >= 24;
  const double patches = double(q.rows()) * double(q.depth());
  return q.c >= 128 && q.m >= 64 && patches <= double(1 << 22);
}

size_t gemm_conv_workspace_floats(const Graph& g, const Node& n) {
  const ConvGeometry q = conv_geometry(g, n);
  return q.direct() ? 0 : size_t(q.rows() * q.depth());
}

Expected<KernelPtr> make_gemm_conv(const KernelArgs& a) {
  auto k = std::make_unique<GemmConvKernel>();
  TANDEM_RETURN_IF_ERROR(k->init(a));
  return KernelPtr(std::move(k));
}

}  // namespace tandem::cpu
