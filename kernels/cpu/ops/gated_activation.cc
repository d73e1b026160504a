// x * gate(x) with gate = Sigmoid (SiLU, EfficientNet's activation) or
// HardSigmoid (HardSwish as PyTorch exports it at opset 13: MobileNetV3), which
// ONNX graphs carry as a gate node and a Mul: the compiler runs the pair as this
// one pass (the gate node does nothing), instead of a pass that writes a whole
// tensor and a Mul pass that reads two. NHWC rows with pixel strides, split over
// the thread pool. Sigmoid with AVX-512: exp by range reduction (x = n ln2 + r,
// |r| <= ln2/2, degree-6 Taylor polynomial, scalef by 2^n), relative error
// ~1e-7; otherwise std::exp. HardSigmoid gates have an AVX-512 loop too: GCC 12
// left the portable one scalar (std::min/max), and MobileNetV3's first HardSwish
// (112x112x16) took 0.106 ms that way, 0.017 ms vectorized.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/ops/elementwise_rows.h"
#include "kernels/cpu/x86/gemm_avx512.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tandem::cpu {
namespace {

#if defined(__x86_64__)
// x * sigmoid(x) for 16 lanes.
TANDEM_AVX512 inline __m512 silu16(__m512 x) {
  // e = exp(-x), with -x clamped so that e stays finite (sigmoid is 0 or 1 there).
  // (maskz forms: GCC 12's plain min/max/roundscale/scalef warn about an undefined operand.)
  const __mmask16 all = 0xFFFF;
  const __m512 neg = _mm512_sub_ps(_mm512_setzero_ps(), x);
  const __m512 t = _mm512_maskz_min_ps(all, _mm512_maskz_max_ps(all, neg, _mm512_set1_ps(-87.0f)),
                                       _mm512_set1_ps(87.0f));
  const __m512 n = _mm512_maskz_roundscale_ps(all, _mm512_mul_ps(t, _mm512_set1_ps(1.44269504f)),
                                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145752f), t);  // ln2, high part
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860677e-6f), r);       // ln2, low part
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  const __m512 e = _mm512_maskz_scalef_ps(all, p, n);
  return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

TANDEM_AVX512 void silu_row_avx512(const float* x, float* y, int64_t c, float, float) {
  int64_t i = 0;
  for (; i + 16 <= c; i += 16) _mm512_storeu_ps(y + i, silu16(_mm512_loadu_ps(x + i)));
  if (i < c) {
    const __mmask16 m = __mmask16((1u << (c - i)) - 1);
    _mm512_mask_storeu_ps(y + i, m, silu16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

// x * clamp(alpha x + beta, 0, 1) for 16 lanes.
TANDEM_AVX512 inline __m512 hard16(__m512 x, __m512 alpha, __m512 beta) {
  const __m512 g = _mm512_fmadd_ps(alpha, x, beta);
  return _mm512_mul_ps(
      x, _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, g, _mm512_setzero_ps()),
                             _mm512_set1_ps(1.0f)));
}

TANDEM_AVX512 void hard_row_avx512(const float* x, float* y, int64_t c, float alpha, float beta) {
  const __m512 a = _mm512_set1_ps(alpha), b = _mm512_set1_ps(beta);
  int64_t i = 0;
  for (; i + 16 <= c; i += 16) _mm512_storeu_ps(y + i, hard16(_mm512_loadu_ps(x + i), a, b));
  if (i < c) {
    const __mmask16 m = __mmask16((1u << (c - i)) - 1);
    _mm512_mask_storeu_ps(y + i, m, hard16(_mm512_maskz_loadu_ps(m, x + i), a, b));
  }
}
#endif

void silu_row_scalar(const float* x, float* y, int64_t c, float, float) {
  for (int64_t i = 0; i < c; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i]));
}

// x * clamp(alpha x + beta, 0, 1) (the compiler vectorizes it).
void hard_row(const float* __restrict x, float* __restrict y, int64_t c, float alpha, float beta) {
  for (int64_t i = 0; i < c; ++i) y[i] = x[i] * std::min(std::max(alpha * x[i] + beta, 0.0f), 1.0f);
}

using RowFn = void (*)(const float*, float*, int64_t, float, float);

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
    if (hard_) row_ = hard_row;
#if defined(__x86_64__)
    if (gemm_avx512_available()) row_ = hard_ ? hard_row_avx512 : silu_row_avx512;
#endif
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this, rows_.tasks(), cpu_pool_flags());
    return Status();
  }
  const char* kind() const override {
    return hard_ ? "hardswish" : "silu";
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
  float alpha_ = 0, beta_ = 0;
  const float* x_ = nullptr;
  float* y_ = nullptr;
  ElementwiseRows rows_;
};

}  // namespace

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
