// Gelu (erf and tanh forms) as one pass over the rows of a tensor (NHWC rows
// with pixel strides, or runs of a contiguous one), split over the thread
// pool: what fuse_gelu makes of ConvNeXt's and ViT's exported
// Div/Erf/Add/Mul/Mul chains. At isa avx512 / avx2 the rows are the own SIMD
// ones (x86/norm_rows.h; kinds "gelu", "gelu_avx2"; Phi to ~1.5e-7 absolute),
// otherwise the reference's per-element formula ("gelu_scalar").
#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/ops/elementwise_rows.h"
#include "kernels/cpu/x86/norm_rows.h"
#include "kernels/reference/elementwise_math.h"

namespace tandem::cpu {
namespace {

using RowFn = void (*)(const float*, float*, int64_t);

void gelu_erf_row_scalar(const float* x, float* y, int64_t c) {
  for (int64_t i = 0; i < c; ++i) y[i] = ref::gelu_erf_value(x[i]);
}
void gelu_tanh_row_scalar(const float* x, float* y, int64_t c) {
  for (int64_t i = 0; i < c; ++i) y[i] = ref::gelu_tanh_value(x[i]);
}

class GeluKernel : public CpuKernel {
 public:
  explicit GeluKernel(const KernelArgs& a) {
    x_ = a.inputs[0].data;
    y_ = a.outputs[0].data;
    rows_ = ElementwiseRows::of(a.inputs[0], a.outputs[0]);
    const bool tanh = a.node->attrs.gelu_approximate == GeluApproximate::kTanh;
    row_ = tanh ? gelu_tanh_row_scalar : gelu_erf_row_scalar;
    isa_ = a.options.isa;
#if defined(__x86_64__)
    if (isa_ == CpuIsa::kAvx512) row_ = tanh ? avx512::gelu_tanh_row : avx512::gelu_erf_row;
    if (isa_ == CpuIsa::kAvx2) row_ = tanh ? avx2::gelu_tanh_row : avx2::gelu_erf_row;
#else
    isa_ = CpuIsa::kGeneric;
#endif
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this, rows_.tasks(), cpu_pool_flags());
    return Status();
  }
  const char* kind() const override {
    return isa_ == CpuIsa::kAvx512 ? "gelu" : isa_ == CpuIsa::kAvx2 ? "gelu_avx2" : "gelu_scalar";
  }

 private:
  static void task(void* ctx, size_t index) {
    const auto* k = static_cast<const GeluKernel*>(ctx);
    const ElementwiseRows& w = k->rows_;
    for (int64_t r = w.first_row(index); r < w.end_row(index); ++r)
      k->row_(k->x_ + r * w.in_stride, k->y_ + r * w.out_stride, w.row_length(r));
  }

  RowFn row_ = gelu_erf_row_scalar;
  CpuIsa isa_ = CpuIsa::kGeneric;
  const float* x_ = nullptr;
  float* y_ = nullptr;
  ElementwiseRows rows_;
};

Expected<KernelPtr> make_gelu(const KernelArgs& a) {
  return KernelPtr(new GeluKernel(a));
}

}  // namespace

CpuOpSupport gelu_support(const Graph& g, const Node& n) {
  if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1) return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  if (x.is_constant() || x.dtype != DType::kFloat32 || shape_elements(x.shape) <= 0) return {};
  return strided_kernel(make_gelu);
}

}  // namespace tandem::cpu
