// Depthwise 3x3 and 5x5 convolutions (stride 1 or 2, any padding), NHWC, on the
// own rows (kernels/cpu/x86/dwconv_rows.h) at the options' x86 level: AVX-512
// (16-channel blocks) or AVX2 + FMA (8-channel blocks), kinds "dwconv_avx512"
// and "dwconv_avx2". Output rows are split over the thread pool.
//
// Where it runs instead of XNNPACK (dwconv_profitable), AVX-512: measured
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
  if (isa < CpuIsa::kAvx2 || !(is_depthwise_kxk(g, n, 3) || is_depthwise_kxk(g, n, 5)))
    return false;
  return n.attrs.strides.empty() || n.attrs.strides[0] <= 2;
#else
  (void)g, (void)n, (void)isa;
  return false;
#endif
}

bool dwconv_profitable(const Graph& g, const Node& n, CpuIsa isa) {
  // AVX-512: 3x3 <= 32 channels (1.45-1.7x; wider layers measured the same as
  // XNNPACK in whole models); 5x5 always (XNNPACK 2022's 5x5 ran 2.1-2.6x ONNX
  // Runtime's time).
  (void)isa;
  return is_depthwise_kxk(g, n, 5) || g.tensor(n.inputs[0]).shape[1] <= 32;
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
