// x * gate(x) with gate = Sigmoid (SiLU, EfficientNet's activation) or
// HardSigmoid (HardSwish as PyTorch exports it at opset 13: MobileNetV3), which
// ONNX graphs carry as a gate node and a Mul: the compiler runs the pair as this
// one pass (the gate node does nothing), instead of a pass that writes a whole
// tensor and a Mul pass that reads two. NHWC rows with pixel strides, split over
// the thread pool. At isa avx512 or avx2 the rows are the own SIMD ones
// (x86/gated_rows.h; Sigmoid by a range-reduced exp polynomial, relative error
// ~1e-7), kinds "silu" / "hardswish" on AVX-512 and "silu_avx2" /
// "hardswish_avx2"; otherwise portable loops with std::exp ("silu_scalar",
// "hardswish_scalar"). HardSigmoid gates have SIMD rows too: GCC 12 left the
// portable loop scalar (std::min/max), and MobileNetV3's first HardSwish
// (112x112x16) took 0.106 ms that way, 0.017 ms vectorized (AVX-512).
#include <algorithm>
#include <cmath>

#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/ops/elementwise_rows.h"
#include "kernels/cpu/x86/gated_rows.h"

namespace tandem::cpu {
namespace {

void silu_row_scalar(const float* x, float* y, int64_t c, float, float) {
  for (int64_t i = 0; i < c; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i]));
}

// x * clamp(alpha x + beta, 0, 1) (the compiler vectorizes it).
void hard_row(const float* __restrict x, float* __restrict y, int64_t c, float alpha, float beta) {
  for (int64_t i = 0; i < c; ++i) y[i] = x[i] * std::min(std::max(alpha * x[i] + beta, 0.0f), 1.0f);
}

using RowFn = GatedRowFn;

class GatedKernel : public CpuKernel {
 public:
  GatedKernel(const KernelArgs& a, const Node& gate) {
    const CpuTensor& x = a.absorbed[0].inputs[0];  // the gate's input
    const CpuTensor& y = a.outputs[0];
    x_ = x.data;
    y_ = y.data;
    rows_ = ElementwiseRows::of(x, y);
    hard_ = gate.op == OpType::kHardSigmoid;
    alpha_ = gate.attrs.alpha;
    beta_ = gate.attrs.beta;
    isa_ = a.options.isa;
    row_ = silu_row_for(isa_);
    if (hard_) row_ = hard_row;
#if defined(__x86_64__)
    if (hard_ && isa_ == CpuIsa::kAvx512) row_ = avx512::hard_row;
    if (hard_ && isa_ == CpuIsa::kAvx2) row_ = avx2::hard_row;
#else
    isa_ = CpuIsa::kGeneric;
#endif
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this, rows_.tasks(), cpu_pool_flags());
    return Status();
  }
  const char* kind() const override {
    switch (isa_) {
      case CpuIsa::kAvx512:
        return hard_ ? "hardswish" : "silu";
      case CpuIsa::kAvx2:
        return hard_ ? "hardswish_avx2" : "silu_avx2";
      case CpuIsa::kGeneric:
        break;
    }
    return hard_ ? "hardswish_scalar" : "silu_scalar";
  }

 private:
  static void task(void* ctx, size_t index) {
    const auto* k = static_cast<const GatedKernel*>(ctx);
    const ElementwiseRows& w = k->rows_;
    for (int64_t r = w.first_row(index); r < w.end_row(index); ++r)
      k->row_(k->x_ + r * w.in_stride, k->y_ + r * w.out_stride, w.row_length(r), k->alpha_,
              k->beta_);
  }

  RowFn row_ = silu_row_scalar;
  bool hard_ = false;
  CpuIsa isa_ = CpuIsa::kGeneric;
  float alpha_ = 0, beta_ = 0;
  const float* x_ = nullptr;
  float* y_ = nullptr;
  ElementwiseRows rows_;
};

}  // namespace

GatedRowFn silu_row_for(CpuIsa isa) {
#if defined(__x86_64__)
  if (isa == CpuIsa::kAvx512) return avx512::silu_row;
  if (isa == CpuIsa::kAvx2) return avx2::silu_row;
#endif
  (void)isa;
  return silu_row_scalar;
}

int gated_input(const Graph& g, const Node& gate, const Node& mul) {
  if ((gate.op != OpType::kSigmoid && gate.op != OpType::kHardSigmoid) || mul.op != OpType::kMul ||
      mul.inputs.size() != 2 || gate.inputs.empty() || gate.outputs.size() != 1)
    return -1;
  const int x = gate.inputs[0], s = gate.outputs[0];
  const bool pair =
      (mul.inputs[0] == x && mul.inputs[1] == s) || (mul.inputs[0] == s && mul.inputs[1] == x);
  if (!pair || mul.attrs.activation.active()) return -1;
  const Tensor& t = g.tensor(x);
  if (t.is_constant() || t.dtype != DType::kFloat32 || t.shape != g.tensor(mul.outputs[0]).shape)
    return -1;
  return x;
}

Expected<KernelPtr> make_gated(const KernelArgs& a) {
  // absorbed: {the Sigmoid or HardSigmoid gate}, with its input x.
  if (a.absorbed.size() != 1 || a.absorbed[0].inputs.empty() ||
      gated_input(*a.g, *a.absorbed[0].node, *a.node) < 0)
    return internal_error("node '" + a.node->name +
                          "' is not x * sigmoid(x) or x * hardsigmoid(x)");
  return KernelPtr(new GatedKernel(a, *a.absorbed[0].node));
}

}  // namespace tandem::cpu
