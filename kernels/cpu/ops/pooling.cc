// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool and ReduceMean over
// H,W on XNNPACK's NHWC pooling operators, with pixel strides on both sides.
#include <algorithm>
#include <limits>

#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/compiler/layout.h"
#include "kernels/cpu/ops/pool_window.h"

namespace tandem::cpu {
namespace {

uint32_t u32(int64_t v) {
  return static_cast<uint32_t>(v);
}

Expected<KernelPtr> make_pool2d(const KernelArgs& a) {
  const Node& n = *a.node;
  const CpuTensor& x = a.inputs[0];
  const CpuTensor& y = a.outputs[0];
  const PoolWindow w = pool_window(n, x, y);
  const float lo = -std::numeric_limits<float>::infinity();
  const float hi = std::numeric_limits<float>::infinity();
  xnn_operator_t op = nullptr;
  enum xnn_status st;
  bool is_max = n.op == OpType::kMaxPool;
  if (is_max) {
    st = xnn_create_max_pooling2d_nhwc_f32(u32(w.top), u32(w.right), u32(w.bottom), u32(w.left),
                                           u32(w.kh), u32(w.kw), u32(w.sh), u32(w.sw), u32(w.dh),
                                           u32(w.dw), size_t(x.c()), size_t(x.pixel_stride),
                                           size_t(y.pixel_stride), lo, hi, cpu_xnn_flags(), &op);
  } else {
    st = xnn_create_average_pooling2d_nhwc_f32(
        u32(w.top), u32(w.right), u32(w.bottom), u32(w.left), u32(w.kh), u32(w.kw), u32(w.sh),
        u32(w.sw), size_t(x.c()), size_t(x.pixel_stride), size_t(y.pixel_stride), lo, hi,
        cpu_xnn_flags(), &op);
  }
  if (st != xnn_status_success) return xnn_error(st, "create pooling", n);
  XnnOperator owned(op);
  st = is_max ? xnn_setup_max_pooling2d_nhwc_f32(op, size_t(x.n()), size_t(x.h()), size_t(x.w()),
                                                 x.data, y.data, a.pool)
              : xnn_setup_average_pooling2d_nhwc_f32(op, size_t(x.n()), size_t(x.h()),
                                                     size_t(x.w()), x.data, y.data, a.pool);
  if (st != xnn_status_success) return xnn_error(st, "setup pooling", n);
  return KernelPtr(new XnnKernel(std::move(owned), n.name));
}

// A 1x1 stride-1 window without padding (VGG's adaptive pool at 7x7) is a copy;
// XNNPACK refuses 1x1 pooling.
class PoolCopyKernel : public CpuKernel {
 public:
  explicit PoolCopyKernel(const KernelArgs& a) : x_(a.inputs[0]), y_(a.outputs[0]) {}
  Status run(pthreadpool_t pool) override {
    copy_pixels(x_.data, x_.pixel_stride, y_.data, y_.pixel_stride, x_.n() * x_.h() * x_.w(),
                x_.c(), pool);
    return Status();
  }

 private:
  CpuTensor x_, y_;
};

Expected<KernelPtr> make_pool_copy(const KernelArgs& a) {
  return KernelPtr(new PoolCopyKernel(a));
}

Expected<KernelPtr> make_global_average(const KernelArgs& a) {
  const Node& n = *a.node;
  const CpuTensor& x = a.inputs[0];
  const CpuTensor& y = a.outputs[0];
  const float inf = std::numeric_limits<float>::infinity();
  xnn_operator_t op = nullptr;
  // y is NHWC [N, C, 1, 1], or [N, C] (ReduceMean without kept dims).
  const size_t y_stride = size_t(y.nhwc ? y.pixel_stride : x.c());
  enum xnn_status st = xnn_create_global_average_pooling_nwc_f32(
      size_t(x.c()), size_t(x.pixel_stride), y_stride, -inf, inf, cpu_xnn_flags(), &op);
  if (st != xnn_status_success) return xnn_error(st, "create global average pooling", n);
  XnnOperator owned(op);
  st = xnn_setup_global_average_pooling_nwc_f32(op, size_t(x.n()), size_t(x.h() * x.w()), x.data,
                                                y.data, a.pool);
  if (st != xnn_status_success) return xnn_error(st, "setup global average pooling", n);
  return KernelPtr(new XnnKernel(std::move(owned), n.name));
}

Expected<KernelPtr> make_global_max(const KernelArgs& a) {
  const Node& n = *a.node;
  const CpuTensor& x = a.inputs[0];
  const CpuTensor& y = a.outputs[0];
  const float inf = std::numeric_limits<float>::infinity();
  xnn_operator_t op = nullptr;
  enum xnn_status st = xnn_create_max_pooling2d_nhwc_f32(
      0, 0, 0, 0, u32(x.h()), u32(x.w()), 1, 1, 1, 1, size_t(x.c()), size_t(x.pixel_stride),
      size_t(y.pixel_stride), -inf, inf, cpu_xnn_flags(), &op);
  if (st != xnn_status_success) return xnn_error(st, "create global max pooling", n);
  XnnOperator owned(op);
  st = xnn_setup_max_pooling2d_nhwc_f32(op, size_t(x.n()), size_t(x.h()), size_t(x.w()), x.data,
                                        y.data, a.pool);
  if (st != xnn_status_success) return xnn_error(st, "setup global max pooling", n);
  return KernelPtr(new XnnKernel(std::move(owned), n.name));
}

}  // namespace

CpuOpSupport pooling_support(const Graph& g, const Node& n) {
  if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1) return {};
  const Shape& x = g.tensor(n.inputs[0]).shape;
  const Shape& y = g.tensor(n.outputs[0]).shape;
  if (x.size() != 4 || g.tensor(n.inputs[0]).is_constant()) return {};
  const NodeAttrs& at = n.attrs;
  if (n.op == OpType::kReduceMean) {
    // Mean over H and W is a global average pool, with kept dims [N, C, 1, 1] or
    // without them [N, C] (ShuffleNet's and MnasNet's head).
    std::vector<int64_t> axes = at.axes;
    for (int64_t& a : axes)
      if (a < 0) a += 4;
    std::sort(axes.begin(), axes.end());
    if (axes != std::vector<int64_t>{2, 3}) return {};
    if (at.keepdims ? y.size() != 4 : y != Shape{x[0], x[1]}) return {};
    return strided_kernel(make_global_average);
  }
  if (y.size() != 4) return {};
  switch (n.op) {
    case OpType::kGlobalAveragePool:
      return strided_kernel(make_global_average);
    case OpType::kGlobalMaxPool:
      return strided_kernel(make_global_max);
    case OpType::kMaxPool:
    case OpType::kAveragePool: {
      if (at.kernel_shape.size() != 2 || (at.pads.size() != 0 && at.pads.size() != 4)) return {};
      if (n.outputs.size() != 1) return {};
      if (n.op == OpType::kAveragePool) {
        if (!at.dilations.empty() && (at.dilations[0] != 1 || at.dilations[1] != 1)) return {};
        // XNNPACK divides by the pixels inside the image: ONNX's count_include_pad=0.
        bool padded = false;
        for (int64_t p : at.pads) padded |= p != 0;
        if (at.count_include_pad && (padded || at.ceil_mode)) return {};
      }
      bool unpadded = true;
      for (int64_t p : at.pads) unpadded &= p == 0;
      bool unit = at.kernel_shape[0] == 1 && at.kernel_shape[1] == 1 && unpadded &&
                  (at.strides.empty() || (at.strides[0] == 1 && at.strides[1] == 1)) && x == y;
      if (unit) return strided_kernel(make_pool_copy);
      return strided_kernel(make_pool2d);
    }
    default:
      return {};
  }
}

}  // namespace tandem::cpu
