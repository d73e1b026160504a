// The own aarch64 NEON kernels (kernels/cpu/neon/) as cpu processor kernels: 1x1
// convolutions on the 8x8 f32 GEMM and 3x3 depthwise convolutions, chosen by the
// selection hooks in neon_kernels.h (spec option neon=auto|on|off). Off aarch64 the
// same kernels run on their portable scalar twins when the spec says neon=on, so
// the wiring (packing, strides, threads, fused clamps) is tested on every build;
// the intrinsics themselves are tested under qemu (tests/neon/).
#include <algorithm>

#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/neon/neon_kernels.h"

namespace tandem::cpu {
namespace {

#if defined(__aarch64__)
constexpr bool kNative = true;
#else
constexpr bool kNative = false;
#endif

neon::NeonChoice choice(const CpuKernelOptions& o) {
  return o.neon == CpuKernelOptions::Neon::kOn    ? neon::NeonChoice::kAlways
         : o.neon == CpuKernelOptions::Neon::kOff ? neon::NeonChoice::kNever
                                                  : neon::NeonChoice::kAuto;
}

bool is_1x1_direct(const Graph& g, const Node& n) {
  const Shape& w = g.tensor(n.inputs[1]).shape;
  const NodeAttrs& at = n.attrs;
  if (at.group != 1 || w[2] != 1 || w[3] != 1) return false;
  for (int64_t s : at.strides)
    if (s != 1) return false;
  for (int64_t p : at.pads)
    if (p != 0) return false;
  return true;
}

neon::DwConv3x3Params dw_params(const Graph& g, const Node& n, int64_t in_stride = 0,
                                int64_t out_stride = 0) {
  const Shape& x = g.tensor(n.inputs[0]).shape;
  const NodeAttrs& at = n.attrs;
  neon::DwConv3x3Params p;
  p.batch = int(x[0]);
  p.channels = int(x[1]);
  p.in_h = int(x[2]);
  p.in_w = int(x[3]);
  p.stride = at.strides.empty() ? 1 : int(at.strides[0]);
  if (at.pads.size() == 4) {
    p.pad_top = int(at.pads[0]), p.pad_left = int(at.pads[1]);
    p.pad_bottom = int(at.pads[2]), p.pad_right = int(at.pads[3]);
  }
  p.in_pixel_stride = int(in_stride);
  p.out_pixel_stride = int(out_stride);
  p.out_min = at.activation.min;
  p.out_max = at.activation.max;
  return p;
}

// C = clamp(A * B + bias) over blocks of kGemmMc rows, one task each.
class NeonGemmConvKernel : public CpuKernel {
 public:
  Status init(const KernelArgs& a) {
    const Node& nd = *a.node;
    const CpuTensor& x = a.inputs[0];
    m_ = int(x.n() * x.h() * x.w());
    k_ = int(x.c());
    n_ = int(a.outputs[0].c());
    a_ = x.data;
    lda_ = int(x.pixel_stride);
    c_ = a.outputs[0].data;
    ldc_ = int(a.outputs[0].pixel_stride);
    packed_.resize(neon::gemm_f32_packed_b_size(n_, k_));
    neon::gemm_f32_pack_b_nk(n_, k_, a.inputs[1].data, k_, packed_.data());
    if (a.inputs.size() > 2 && a.inputs[2].data)
      bias_.assign(a.inputs[2].data, a.inputs[2].data + n_);
    lo_ = nd.attrs.activation.min;
    hi_ = nd.attrs.activation.max;
    workspace_ = a.workspace;
    if (kNative && !workspace_)
      return internal_error("NEON conv '" + nd.name + "' has no workspace");
    consumed_constants.push_back(nd.inputs[1]);
    if (!bias_.empty()) consumed_constants.push_back(nd.inputs[2]);
    return Status();
  }
  Status run(pthreadpool_t pool) override {
    const size_t blocks = size_t((m_ + neon::kGemmMc - 1) / neon::kGemmMc);
    pthreadpool_parallelize_1d(pool, task, this, blocks, cpu_pool_flags());
    return Status();
  }
  const char* kind() const override { return kNative ? "neon_gemm" : "neon_gemm_scalar"; }

 private:
  static void task(void* ctx, size_t block) {
    const auto* k = static_cast<const NeonGemmConvKernel*>(ctx);
    const int m0 = int(block) * neon::kGemmMc;
    const int rows = std::min(neon::kGemmMc, k->m_ - m0);
    const float* a = k->a_ + size_t(m0) * size_t(k->lda_);
    float* c = k->c_ + size_t(m0) * size_t(k->ldc_);
    const float* bias = k->bias_.empty() ? nullptr : k->bias_.data();
#if defined(__aarch64__)
    neon::gemm_f32_neon(rows, k->n_, k->k_, a, k->lda_, k->packed_.data(), c, k->ldc_, bias, k->lo_,
                        k->hi_, k->workspace_ + block * neon::gemm_f32_workspace_size());
#else
    neon::gemm_f32_scalar(rows, k->n_, k->k_, a, k->lda_, k->packed_.data(), c, k->ldc_, bias,
                          k->lo_, k->hi_);
#endif
  }

  int m_ = 0, n_ = 0, k_ = 0, lda_ = 0, ldc_ = 0;
  const float* a_ = nullptr;
  float* c_ = nullptr;
  float* workspace_ = nullptr;
  std::vector<float> packed_, bias_;
  float lo_ = 0, hi_ = 0;
};

// Depthwise 3x3, split over groups of 8 channels (the kernel's register tile).
class NeonDwConvKernel : public CpuKernel {
 public:
  Status init(const KernelArgs& a) {
    const Node& nd = *a.node;
    p_ = dw_params(*a.g, nd, a.inputs[0].pixel_stride, a.outputs[0].pixel_stride);
    in_ = a.inputs[0].data;
    out_ = a.outputs[0].data;
    const float* bias = a.inputs.size() > 2 && a.inputs[2].data ? a.inputs[2].data : nullptr;
    packed_.resize(neon::dwconv_f32_3x3_packed_size(p_.channels));
    neon::dwconv_f32_3x3_pack(p_.channels, a.inputs[1].data, bias, packed_.data());
    consumed_constants.push_back(nd.inputs[1]);
    if (bias) consumed_constants.push_back(nd.inputs[2]);
    return Status();
  }
  Status run(pthreadpool_t pool) override {
    failed_ = false;
    pthreadpool_parallelize_1d(pool, task, this, size_t((p_.channels + 7) / 8), cpu_pool_flags());
    if (failed_) return internal_error("NEON depthwise conv refused its parameters");
    return Status();
  }
  const char* kind() const override { return kNative ? "neon_dwconv3x3" : "neon_dwconv3x3_scalar"; }

 private:
  static void task(void* ctx, size_t group) {
    auto* k = static_cast<NeonDwConvKernel*>(ctx);
    const int c0 = int(group) * 8;
    neon::DwConv3x3Params p = k->p_;
    p.channels = std::min(8, k->p_.channels - c0);
    p.in_pixel_stride = k->p_.in_pixel_stride;
    p.out_pixel_stride = k->p_.out_pixel_stride;
    // Packed weights come in groups of 4 channels: 4 biases, then 9 taps x 4.
    const float* packed = k->packed_.data() + size_t(c0 / 4) * (4 + 9 * 4);
#if defined(__aarch64__)
    bool ok = neon::dwconv_f32_3x3_neon_c8(p, k->in_ + c0, packed, k->out_ + c0);
#else
    bool ok = neon::dwconv_f32_3x3_scalar(p, k->in_ + c0, packed, k->out_ + c0);
#endif
    if (!ok) k->failed_ = true;
  }

  neon::DwConv3x3Params p_;
  const float* in_ = nullptr;
  float* out_ = nullptr;
  std::vector<float> packed_;
  bool failed_ = false;
};

template <typename K>
Expected<KernelPtr> make(const KernelArgs& a) {
  auto k = std::make_unique<K>();
  TANDEM_RETURN_IF_ERROR(k->init(a));
  return KernelPtr(std::move(k));
}

}  // namespace

CpuOpSupport neon_conv_support(const Graph& g, const Node& n, const CpuKernelOptions& options) {
  // Off aarch64 only an explicit neon=on runs the scalar twins (a test mode).
  if (!kNative && options.neon != CpuKernelOptions::Neon::kOn) return {};
  if (options.neon == CpuKernelOptions::Neon::kOff) return {};
  const Shape& x = g.tensor(n.inputs[0]).shape;
  const Shape& y = g.tensor(n.outputs[0]).shape;
  if (is_1x1_direct(g, n)) {
    const int m = int(x[0] * x[2] * x[3]), k = int(x[1]), cols = int(y[1]);
    if (!kNative || neon::neon_prefer_gemm(m, cols, k, choice(options))) {
      const size_t blocks = size_t((m + neon::kGemmMc - 1) / neon::kGemmMc);
      return strided_kernel(make<NeonGemmConvKernel>,
                            kNative ? blocks * neon::gemm_f32_workspace_size() : 0);
    }
    return {};
  }
  if (is_depthwise_kxk(g, n, 3)) {
    neon::DwConv3x3Params p = dw_params(g, n);
    if (p.stride != 1 && p.stride != 2) return {};
    if (!kNative || neon::neon_prefer_dwconv3x3(p, choice(options)))
      return strided_kernel(make<NeonDwConvKernel>);
  }
  return {};
}

}  // namespace tandem::cpu
