// Conv (dense, grouped, depthwise) on XNNPACK's NHWC convolution, with the
// fused activation as output min/max and pixel strides on both sides.
#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {
namespace {

Expected<KernelPtr> make_conv2d(const KernelArgs& a) {
  const Node& n = *a.node;
  const CpuTensor& x = a.inputs[0];
  const CpuTensor& w = a.inputs[1];
  const CpuTensor& y = a.outputs[0];
  const NodeAttrs& at = n.attrs;
  const int64_t groups = at.group;
  const int64_t m = w.shape[0], cg = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  const int64_t mg = m / groups;
  // ONNX [M, C/g, kh, kw] -> XNNPACK [g, M/g, kh, kw, C/g] = O,kh,kw,I.
  std::vector<float> packed(static_cast<size_t>(m * cg * kh * kw));
  for (int64_t o = 0; o < m; ++o)
    for (int64_t i = 0; i < cg; ++i)
      for (int64_t r = 0; r < kh * kw; ++r)
        packed[static_cast<size_t>((o * kh * kw + r) * cg + i)] =
            w.data[(o * cg + i) * kh * kw + r];
  const float* bias = a.inputs.size() > 2 && a.inputs[2].data ? a.inputs[2].data : nullptr;
  auto attr = [](const std::vector<int64_t>& v, size_t i, int64_t d) {
    return v.size() > i ? static_cast<uint32_t>(v[i]) : static_cast<uint32_t>(d);
  };
  xnn_operator_t op = nullptr;
  enum xnn_status st = xnn_create_convolution2d_nhwc_f32(
      attr(at.pads, 0, 0), attr(at.pads, 3, 0), attr(at.pads, 2, 0), attr(at.pads, 1, 0),
      static_cast<uint32_t>(kh), static_cast<uint32_t>(kw), attr(at.strides, 0, 1),
      attr(at.strides, 1, 1), attr(at.dilations, 0, 1), attr(at.dilations, 1, 1),
      static_cast<uint32_t>(groups), static_cast<size_t>(cg), static_cast<size_t>(mg),
      static_cast<size_t>(x.pixel_stride), static_cast<size_t>(y.pixel_stride), packed.data(), bias,
      at.activation.min, at.activation.max, cpu_xnn_flags(), &op);
  if (st != xnn_status_success) return xnn_error(st, "create convolution", n);
  XnnOperator owned(op);
  st = xnn_setup_convolution2d_nhwc_f32(op, static_cast<size_t>(x.n()), static_cast<size_t>(x.h()),
                                        static_cast<size_t>(x.w()), x.data, y.data, a.pool);
  if (st != xnn_status_success) return xnn_error(st, "setup convolution", n);
  auto k = std::make_unique<XnnKernel>(std::move(owned), n.name);
  k->consumed_constants.push_back(n.inputs[1]);
  if (bias) k->consumed_constants.push_back(n.inputs[2]);
  return KernelPtr(std::move(k));
}

}  // namespace

bool is_depthwise_kxk(const Graph& g, const Node& n, int64_t k) {
  const Shape& x = g.tensor(n.inputs[0]).shape;
  const Shape& w = g.tensor(n.inputs[1]).shape;
  const NodeAttrs& at = n.attrs;
  if (at.group != x[1] || w[0] != x[1] || w[1] != 1 || w[2] != k || w[3] != k) return false;
  for (int64_t d : at.dilations)
    if (d != 1) return false;
  return at.strides.size() != 2 || at.strides[0] == at.strides[1];
}

CpuOpSupport conv2d_support(const Graph& g, const Node& n, const CpuKernelOptions& options) {
  if (n.inputs.size() < 2 || n.outputs.size() != 1 || n.inputs[0] < 0 || n.inputs[1] < 0) return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  const Tensor& w = g.tensor(n.inputs[1]);
  if (x.shape.size() != 4 || w.shape.size() != 4 || !w.is_constant() || x.is_constant()) return {};
  if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
    const Tensor& b = g.tensor(n.inputs[2]);
    if (!b.is_constant() || shape_elements(b.shape) != w.shape[0]) return {};
  }
  const NodeAttrs& at = n.attrs;
  if (at.group < 1 || w.shape[0] % at.group != 0 || x.shape[1] != w.shape[1] * at.group) return {};
  if (at.pads.size() != 0 && at.pads.size() != 4) return {};
  for (int64_t p : at.pads)
    if (p < 0) return {};
  if (CpuOpSupport s = neon_conv_support(g, n, options); s.factory) return s;
  if (options.gemm != CpuKernelOptions::Gemm::kXnnpack && dwconv_applicable(g, n, options.isa) &&
      (options.gemm == CpuKernelOptions::Gemm::kOwn || dwconv_profitable(g, n, options.isa)))
    return strided_kernel(make_dwconv);
  using W = CpuKernelOptions::Winograd;
  if (options.winograd != W::kOff && winograd_f43_applicable(g, n) &&
      (options.winograd == W::kOn || winograd_f43_profitable(g, n, options.threads, options.isa))) {
    CpuOpSupport s = strided_kernel(make_winograd_f43, winograd_f43_workspace_floats(g, n));
    s.applies_silu = true;
    return s;
  }
  using G = CpuKernelOptions::Gemm;
  if (options.gemm != G::kXnnpack && gemm_conv_applicable(g, n, options.isa) &&
      (options.gemm == G::kOwn || gemm_conv_profitable(g, n, options.isa))) {
    CpuOpSupport s = strided_kernel(make_gemm_conv,
                                    gemm_conv_workspace_floats(g, n, options.isa, options.threads));
    s.reads_nchw = gemm_conv_reads_nchw(g, n);
    s.adds_residual = true;
    s.applies_silu = true;
    return s;
  }
  return strided_kernel(make_conv2d);
}

}  // namespace tandem::cpu
