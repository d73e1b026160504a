// Softmax over the innermost stored axis: the last logical axis, or channels
// of an NHWC tensor (axis 1 of 4-D), both rows of XNNPACK's NC softmax.
#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {
namespace {

Expected<KernelPtr> make_softmax(const KernelArgs& a) {
  const Node& n = *a.node;
  const CpuTensor& x = a.inputs[0];
  const CpuTensor& y = a.outputs[0];
  size_t channels = x.nhwc ? size_t(x.c()) : size_t(x.shape.back());
  size_t batch = size_t(x.elements()) / channels;
  xnn_operator_t op = nullptr;
  enum xnn_status st =
      xnn_create_softmax_nc_f32(channels, x.nhwc ? size_t(x.pixel_stride) : channels,
                                y.nhwc ? size_t(y.pixel_stride) : channels, cpu_xnn_flags(), &op);
  if (st != xnn_status_success) return xnn_error(st, "create softmax", n);
  XnnOperator owned(op);
  st = xnn_setup_softmax_nc_f32(op, batch, x.data, y.data, a.pool);
  if (st != xnn_status_success) return xnn_error(st, "setup softmax", n);
  return KernelPtr(new XnnKernel(std::move(owned), n.name));
}

}  // namespace

CpuOpSupport softmax_support(const Graph& g, const Node& n) {
  if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1) return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  if (x.is_constant() || x.shape.empty() || shape_elements(x.shape) <= 0) return {};
  int64_t rank = static_cast<int64_t>(x.shape.size());
  bool last = n.attrs.axis == rank - 1;
  bool channels_4d = rank == 4 && n.attrs.axis == 1;
  if (!last && !channels_4d) return {};
  if (rank == 4 && !channels_4d) return {};  // NHWC: the last logical axis is not innermost
  return strided_kernel(make_softmax);
}

}  // namespace tandem::cpu
