// Depthwise 3x3, 5x5 and 7x7 convolutions (stride 1 or 2, any padding), NHWC, on the
// own rows (kernels/cpu/x86/dwconv_rows.h) at the options' x86 level: AVX-512
// (16-channel blocks) or AVX2 + FMA (8-channel blocks), kinds "dwconv_avx512"
// and "dwconv_avx2". Output rows are split over the thread pool.
//
// Where it runs instead of XNNPACK (dwconv_profitable; AVX2's measurements
// there), AVX-512: measured
// (bench_cpu_kernels conv2d_dw_avx512/ vs conv2d/, 1 thread): 3x3 is 1.1-1.7x
// XNNPACK on MobileNetV2's 112x112-28x28 layers and at 7x7, 0.92-0.96x at 14x14,
// and inside a whole model standalone 3x3 convs measured the same on either
// kernel (memory-bound), so standalone 3x3 runs here for <= 32 channels only;
// 5x5, where XNNPACK 2022 ran MnasNet's layers at 2.1-2.6x ONNX Runtime's time,
// always. The rows also serve the fused inverted residual block
// (inverted_residual.cc).
#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/x86/dwconv_rows.h"

namespace tandem::cpu {
namespace {

#if defined(__x86_64__)

class DwConvKernel : public CpuKernel {
 public:
  Status init(const KernelArgs& a) {
    const Node& nd = *a.node;
    const ConvGeometry q = conv_geometry(*a.g, nd);
    x_ = a.inputs[0].data;
    y_ = a.outputs[0].data;
    in_stride_ = a.inputs[0].pixel_stride;
    out_stride_ = a.outputs[0].pixel_stride;
    const float* bias = a.inputs.size() > 2 && a.inputs[2].data ? a.inputs[2].data : nullptr;
    rows_.init(q, a.inputs[1].data, bias, nd.attrs.activation.min, nd.attrs.activation.max,
               in_stride_, a.options.isa);
    consumed_constants.push_back(nd.inputs[1]);
    if (bias) consumed_constants.push_back(nd.inputs[2]);
    return Status();
  }
  Status run(pthreadpool_t pool) override {
    const ConvGeometry& q = rows_.geometry();
    pthreadpool_parallelize_1d(pool, row_task, this, size_t(q.n * q.oh), cpu_pool_flags());
    return Status();
  }
  const char* kind() const override {
    return rows_.isa() == CpuIsa::kAvx512 ? "dwconv_avx512" : "dwconv_avx2";
  }

 private:
  static void row_task(void* ctx, size_t index) {
    const auto* k = static_cast<const DwConvKernel*>(ctx);
    const ConvGeometry& q = k->rows_.geometry();
    const int64_t img = int64_t(index) / q.oh, oy = int64_t(index) % q.oh;
    k->rows_.row(k->x_, k->in_stride_, img, oy, 0, q.ow,
                 k->y_ + int64_t(index) * q.ow * k->out_stride_, k->out_stride_);
  }

  DwConvRows rows_;
  const float* x_ = nullptr;
  float* y_ = nullptr;
  int64_t in_stride_ = 0, out_stride_ = 0;
};

#endif

}  // namespace

bool dwconv_applicable(const Graph& g, const Node& n, CpuIsa isa) {
#if defined(__x86_64__)
  if (isa < CpuIsa::kAvx2 ||
      !(is_depthwise_kxk(g, n, 3) || is_depthwise_kxk(g, n, 5) || is_depthwise_kxk(g, n, 7)))
    return false;
  return n.attrs.strides.empty() || n.attrs.strides[0] <= 2;
#else
  (void)g, (void)n, (void)isa;
  return false;
#endif
}

bool dwconv_profitable(const Graph& g, const Node& n, CpuIsa isa) {
  // 5x5: always (AVX-512: XNNPACK 2022's 5x5 ran 2.1-2.6x ONNX Runtime's time;
  // AVX2: the own rows 0.36-0.60x XNNPACK's AVX2 time on MnasNet's layers).
  if (is_depthwise_kxk(g, n, 5)) return true;
  // 7x7 (ConvNeXt): always; XNNPACK 2022 has no 49-tap depthwise micro-kernel and
  // ran ConvNeXt-Tiny's 56x56x96 layers at ~2 GFLOP/s (14.4 ms each, AVX-512).
  if (is_depthwise_kxk(g, n, 7)) return true;
  const int64_t channels = g.tensor(n.inputs[0]).shape[1];
  // AVX-512: 3x3 <= 32 channels (1.45-1.7x; wider layers measured the same as
  // XNNPACK in whole models).
  if (isa == CpuIsa::kAvx512) return channels <= 32;
  // AVX2 (isa=avx2 on an AVX-512 machine, XNNPACK limited to AVX2; bench_cpu_kernels
  // conv2d_dw_avx2/ vs conv2d/, 1 thread, two interleaved runs, and callgrind
  // instruction counts): MobileNetV2's 3x3 layers with 32 channels at 112x112
  // 0.42-0.51x XNNPACK's time, 96-192 channels at 56x56-28x28 outputs 0.56-1.00x
  // (instructions 0.67-0.84x); wide layers at 14x14 and 7x7 outputs 0.57-1.41x
  // (instructions 1.06-1.36x), so those stay on XNNPACK.
  const Shape& y = g.tensor(n.outputs[0]).shape;
  return channels <= 32 || (y[2] >= 28 && y[3] >= 28);
}

Expected<KernelPtr> make_dwconv(const KernelArgs& a) {
#if defined(__x86_64__)
  if (a.options.isa < CpuIsa::kAvx2)
    return internal_error("own depthwise conv '" + a.node->name + "' needs isa avx2 or avx512");
  auto k = std::make_unique<DwConvKernel>();
  TANDEM_RETURN_IF_ERROR(k->init(a));
  return KernelPtr(std::move(k));
#else
  return internal_error("own depthwise conv on a non-x86 build ('" + a.node->name + "')");
#endif
}

}  // namespace tandem::cpu
