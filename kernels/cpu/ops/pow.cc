// Pow with a constant scalar exponent (LayerNorm's square as exported, before
// or without fuse_layer_norm): an own loop over rows, with exact fast paths
// that keep std::pow's values: exponent 2 is x * x (as the reference), 0.5 is
// sqrt except at -0 and -inf (where pow gives +0 and +inf), 1 is x. Other
// exponents call std::pow; a broadcast tensor exponent runs on the fallback.
#include <cmath>
#include <limits>

#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/ops/elementwise_rows.h"
#include "kernels/reference/elementwise_math.h"

namespace tandem::cpu {
namespace {

class PowKernel : public CpuKernel {
 public:
  explicit PowKernel(const KernelArgs& a) {
    x_ = a.inputs[0].data;
    y_ = a.outputs[0].data;
    e_ = a.inputs[1].data[0];
    rows_ = ElementwiseRows::of(a.inputs[0], a.outputs[0]);
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this, rows_.tasks(), cpu_pool_flags());
    return Status();
  }

 private:
  static void task(void* ctx, size_t index) {
    const auto* k = static_cast<const PowKernel*>(ctx);
    const ElementwiseRows& w = k->rows_;
    const float e = k->e_;
    for (int64_t r = w.first_row(index); r < w.end_row(index); ++r) {
      const float* __restrict x = k->x_ + r * w.in_stride;
      float* __restrict y = k->y_ + r * w.out_stride;
      const int64_t n = w.row_length(r);
      if (e == 2.0f) {
        for (int64_t i = 0; i < n; ++i) y[i] = x[i] * x[i];
      } else if (e == 0.5f) {
        for (int64_t i = 0; i < n; ++i) y[i] = sqrt_as_pow(x[i]);
      } else if (e == 1.0f) {
        for (int64_t i = 0; i < n; ++i) y[i] = x[i];
      } else {
        for (int64_t i = 0; i < n; ++i) y[i] = ref::pow_value(x[i], e);
      }
    }
  }
  // pow(x, 0.5): sqrt, but +0 at -0 and +inf at -inf.
  static float sqrt_as_pow(float v) {
    if (v == 0.0f) return 0.0f;
    if (v == -std::numeric_limits<float>::infinity()) return std::numeric_limits<float>::infinity();
    return std::sqrt(v);
  }

  const float* x_ = nullptr;
  float* y_ = nullptr;
  float e_ = 1.0f;
  ElementwiseRows rows_;
};

Expected<KernelPtr> make_pow(const KernelArgs& a) {
  return KernelPtr(new PowKernel(a));
}

}  // namespace

CpuOpSupport pow_support(const Graph& g, const Node& n) {
  if (n.inputs.size() != 2 || n.inputs[0] < 0 || n.inputs[1] < 0 || n.outputs.size() != 1)
    return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  const Tensor& e = g.tensor(n.inputs[1]);
  if (x.is_constant() || x.dtype != DType::kFloat32 || shape_elements(x.shape) <= 0) return {};
  if (!e.is_constant() || e.dtype != DType::kFloat32 || shape_elements(e.shape) != 1) return {};
  if (x.shape != g.tensor(n.outputs[0]).shape) return {};
  return strided_kernel(make_pow);
}

}  // namespace tandem::cpu
