// SiLU (x * sigmoid(x), EfficientNet's activation), which ONNX exports as a
// Sigmoid and a Mul: the compiler runs the pair as this one pass (the Sigmoid
// does nothing), instead of a sigmoid pass that writes a whole tensor and a Mul
// pass that reads two. NHWC rows with pixel strides, split over the thread pool.
// With AVX-512: exp by range reduction (x = n ln2 + r, |r| <= ln2/2, degree-6
// Taylor polynomial, scalef by 2^n), relative error ~1e-7; otherwise std::exp.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/cpu_kernel.h"
#include "kernels/cpu/gemm_avx512.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tandem::cpu {
namespace {

constexpr int64_t kRowsPerTask = 64;

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

TANDEM_AVX512 void silu_row_avx512(const float* x, float* y, int64_t c) {
  int64_t i = 0;
  for (; i + 16 <= c; i += 16) _mm512_storeu_ps(y + i, silu16(_mm512_loadu_ps(x + i)));
  if (i < c) {
    const __mmask16 m = __mmask16((1u << (c - i)) - 1);
    _mm512_mask_storeu_ps(y + i, m, silu16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}
#endif

void silu_row_scalar(const float* x, float* y, int64_t c) {
  for (int64_t i = 0; i < c; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i]));
}

class SiluKernel : public CpuKernel {
 public:
  explicit SiluKernel(const KernelArgs& a) {
    const CpuTensor& x = a.inputs[0];
    const CpuTensor& y = a.outputs[0];
    x_ = x.data;
    y_ = y.data;
    if (x.nhwc) {
      rows_ = x.n() * x.h() * x.w();
      channels_ = x.c();
      in_stride_ = x.pixel_stride;
      out_stride_ = y.pixel_stride;
    } else {  // contiguous: one row
      rows_ = 1;
      channels_ = in_stride_ = out_stride_ = x.elements();
    }
#if defined(__x86_64__)
    if (gemm_avx512_available()) row_ = silu_row_avx512;
#endif
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this, size_t((rows_ + kRowsPerTask - 1) / kRowsPerTask),
                               cpu_pool_flags());
    return Status();
  }
  const char* kind() const override {
    return "silu";
  }

 private:
  static void task(void* ctx, size_t index) {
    const auto* k = static_cast<const SiluKernel*>(ctx);
    const int64_t r0 = int64_t(index) * kRowsPerTask;
    const int64_t r1 = std::min(k->rows_, r0 + kRowsPerTask);
    for (int64_t r = r0; r < r1; ++r)
      k->row_(k->x_ + r * k->in_stride_, k->y_ + r * k->out_stride_, k->channels_);
  }

  void (*row_)(const float*, float*, int64_t) = silu_row_scalar;
  const float* x_ = nullptr;
  float* y_ = nullptr;
  int64_t rows_ = 0, channels_ = 0, in_stride_ = 0, out_stride_ = 0;
};

}  // namespace

int silu_input(const Graph& g, const Node& sigmoid, const Node& mul) {
  if (sigmoid.op != OpType::kSigmoid || mul.op != OpType::kMul || mul.inputs.size() != 2 ||
      sigmoid.inputs.empty() || sigmoid.outputs.size() != 1)
    return -1;
  const int x = sigmoid.inputs[0], s = sigmoid.outputs[0];
  const bool pair =
      (mul.inputs[0] == x && mul.inputs[1] == s) || (mul.inputs[0] == s && mul.inputs[1] == x);
  if (!pair || mul.attrs.activation.active()) return -1;
  const Tensor& t = g.tensor(x);
  if (t.is_constant() || t.dtype != DType::kFloat32 || t.shape != g.tensor(mul.outputs[0]).shape)
    return -1;
  return x;
}

Expected<KernelPtr> make_silu(const KernelArgs& a) {
  return KernelPtr(new SiluKernel(a));
}

}  // namespace tandem::cpu
