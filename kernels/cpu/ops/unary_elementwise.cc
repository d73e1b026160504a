// Relu, Clip, Sigmoid, HardSwish, LeakyRelu on XNNPACK's NC operators: NHWC
// tensors are N*H*W rows of C channels with the pixel stride as row stride.
#include <limits>

#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {
namespace {

Expected<KernelPtr> make_unary(const KernelArgs& a) {
  const Node& n = *a.node;
  const CpuTensor& x = a.inputs[0];
  const CpuTensor& y = a.outputs[0];
  size_t batch, channels, in_stride, out_stride;
  if (x.nhwc) {
    batch = size_t(x.n() * x.h() * x.w());
    channels = size_t(x.c());
    in_stride = size_t(x.pixel_stride);
    out_stride = size_t(y.pixel_stride);
  } else {
    channels = x.shape.empty() ? 1 : size_t(x.shape.back());
    batch = channels ? size_t(x.elements()) / channels : 0;
    in_stride = out_stride = channels;
  }
  xnn_operator_t op = nullptr;
  enum xnn_status st;
  switch (n.op) {
    case OpType::kRelu:
      st = xnn_create_clamp_nc_f32(channels, in_stride, out_stride, 0.0f,
                                   std::numeric_limits<float>::infinity(), cpu_xnn_flags(), &op);
      break;
    case OpType::kClip:
      st = xnn_create_clamp_nc_f32(channels, in_stride, out_stride, n.attrs.clip_min,
                                   n.attrs.clip_max, cpu_xnn_flags(), &op);
      break;
    case OpType::kSigmoid:
      st = xnn_create_sigmoid_nc_f32(channels, in_stride, out_stride, cpu_xnn_flags(), &op);
      break;
    case OpType::kHardSwish:
      st = xnn_create_hardswish_nc_f32(channels, in_stride, out_stride, cpu_xnn_flags(), &op);
      break;
    default:
      st = xnn_create_leaky_relu_nc_f32(channels, in_stride, out_stride, n.attrs.alpha,
                                        cpu_xnn_flags(), &op);
      break;
  }
  if (st != xnn_status_success) return xnn_error(st, "create", n);
  XnnOperator owned(op);
  switch (n.op) {
    case OpType::kRelu:
    case OpType::kClip:
      st = xnn_setup_clamp_nc_f32(op, batch, x.data, y.data, a.pool);
      break;
    case OpType::kSigmoid:
      st = xnn_setup_sigmoid_nc_f32(op, batch, x.data, y.data, a.pool);
      break;
    case OpType::kHardSwish:
      st = xnn_setup_hardswish_nc_f32(op, batch, x.data, y.data, a.pool);
      break;
    default:
      st = xnn_setup_leaky_relu_nc_f32(op, batch, x.data, y.data, a.pool);
      break;
  }
  if (st != xnn_status_success) return xnn_error(st, "setup", n);
  return KernelPtr(new XnnKernel(std::move(owned), n.name));
}

}  // namespace

CpuOpSupport unary_elementwise_support(const Graph& g, const Node& n) {
  if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1) return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  if (x.is_constant() || x.dtype != DType::kFloat32 || shape_elements(x.shape) <= 0) return {};
  if (n.op == OpType::kClip && !(n.attrs.clip_min < n.attrs.clip_max)) return {};
  return strided_kernel(make_unary);
}

}  // namespace tandem::cpu
