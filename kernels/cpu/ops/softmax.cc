// Softmax over the innermost stored axis: the last logical axis, or channels
// of an NHWC tensor (axis 1 of 4-D). At isa avx512 / avx2 the rows are the own
// SIMD ones (x86/norm_rows.h; kinds "softmax", "softmax_avx2"): ViT-B/16's 144
// attention softmaxes (197 rows of 197 per head) took 11.5 ms of a 1-thread run on
// XNNPACK 2022's NC softmax. Otherwise (generic, ARM) XNNPACK's.
#include <algorithm>

#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/x86/norm_rows.h"

namespace tandem::cpu {
namespace {

using RowFn = void (*)(const float*, float*, int64_t);

class SoftmaxKernel : public CpuKernel {
 public:
  SoftmaxKernel(const KernelArgs& a, RowFn row, CpuIsa isa) : row_(row), isa_(isa) {
    const CpuTensor& x = a.inputs[0];
    const CpuTensor& y = a.outputs[0];
    x_ = x.data;
    y_ = y.data;
    length_ = x.nhwc ? x.c() : x.shape.back();
    rows_ = x.elements() / length_;
    in_stride_ = x.nhwc ? x.pixel_stride : length_;
    out_stride_ = y.nhwc ? y.pixel_stride : length_;
    per_task_ = std::max<int64_t>(1, 4096 / length_);  // ~16 KiB of rows per task
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this, size_t((rows_ + per_task_ - 1) / per_task_),
                               cpu_pool_flags());
    return Status();
  }
  const char* kind() const override { return isa_ == CpuIsa::kAvx512 ? "softmax" : "softmax_avx2"; }

 private:
  static void task(void* ctx, size_t index) {
    const auto* k = static_cast<const SoftmaxKernel*>(ctx);
    const int64_t r0 = int64_t(index) * k->per_task_;
    const int64_t r1 = std::min(k->rows_, r0 + k->per_task_);
    for (int64_t r = r0; r < r1; ++r)
      k->row_(k->x_ + r * k->in_stride_, k->y_ + r * k->out_stride_, k->length_);
  }

  RowFn row_;
  CpuIsa isa_;
  const float* x_ = nullptr;
  float* y_ = nullptr;
  int64_t length_ = 1, rows_ = 0, in_stride_ = 1, out_stride_ = 1, per_task_ = 1;
};

// The own rows of the level in use, or nullptr (XNNPACK's softmax).
RowFn own_softmax_row(CpuIsa isa) {
#if defined(__x86_64__)
  if (isa == CpuIsa::kAvx512) return avx512::softmax_row;
  if (isa == CpuIsa::kAvx2) return avx2::softmax_row;
#endif
  (void)isa;
  return nullptr;
}

Expected<KernelPtr> make_softmax(const KernelArgs& a) {
  // An NHWC tensor's rows are its channels (axis 1), a logical one's its last axis.
  const int64_t rank = int64_t(a.inputs[0].shape.size());
  const int64_t want = a.inputs[0].nhwc ? 1 : rank - 1;
  if (a.node->attrs.axis != want || a.inputs[0].nhwc != a.outputs[0].nhwc)
    return unsupported("softmax '" + a.node->name + "': axis is not the stored rows");
  if (RowFn row = own_softmax_row(a.options.isa))
    return KernelPtr(new SoftmaxKernel(a, row, a.options.isa));
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
  // 4-D: channels of an NHWC image or the last axis of a logical tensor
  // (image_layout.h); make_softmax refuses the other pairing.
  bool channels_4d = rank == 4 && n.attrs.axis == 1;
  if (!last && !channels_4d) return {};
  return strided_kernel(make_softmax);
}

}  // namespace tandem::cpu
