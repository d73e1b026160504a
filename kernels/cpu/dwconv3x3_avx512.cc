// Depthwise 3x3 convolution (stride 1 or 2, any padding), NHWC, on AVX-512:
// for each block of 16 channels the 9 taps and the bias stay in registers while
// the kernel walks an output row, so each output vector costs 9 input loads and
// 9 FMAs (XNNPACK 2022's up16x9 also reloads its packed weights and an
// indirection pointer per tap). Interior pixels run without bounds checks.
// Measured (bench_cpu_kernels conv2d_dw_avx512/ vs conv2d/, 1 thread): 1.45x
// faster on 32 channels at 112x112 (MobileNetV2's first depthwise), 0.7-0.9x on
// 96-576 channels, where walking a row per 16-channel block revisits the three
// input rows from L2; so it is chosen for <= 32 channels only. (Walking groups
// of 8 pixels across all blocks instead measured slower everywhere.)
#include <algorithm>

#include "kernels/cpu/conv_geometry.h"
#include "kernels/cpu/cpu_kernel.h"
#include "kernels/cpu/gemm_avx512.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tandem::cpu {
namespace {

#if defined(__x86_64__)

class DwConvKernel : public CpuKernel {
 public:
  Status init(const KernelArgs& a) {
    const Node& nd = *a.node;
    q_ = conv_geometry(*a.g, nd);
    x_ = a.inputs[0].data;
    y_ = a.outputs[0].data;
    in_stride_ = a.inputs[0].pixel_stride;
    out_stride_ = a.outputs[0].pixel_stride;
    lo_ = nd.attrs.activation.min;
    hi_ = nd.attrs.activation.max;
    // [C/16][9 taps + bias][16], zero-padded past C.
    blocks_ = (q_.c + 15) / 16;
    packed_.assign(size_t(blocks_ * 10 * 16), 0.0f);
    const float* w = a.inputs[1].data;
    const float* bias = a.inputs.size() > 2 && a.inputs[2].data ? a.inputs[2].data : nullptr;
    for (int64_t c = 0; c < q_.c; ++c) {
      float* blk = packed_.data() + (c / 16) * 160 + c % 16;
      for (int t = 0; t < 9; ++t) blk[t * 16] = w[c * 9 + t];
      blk[9 * 16] = bias ? bias[c] : 0.0f;
    }
    consumed_constants.push_back(nd.inputs[1]);
    if (bias) consumed_constants.push_back(nd.inputs[2]);
    return Status();
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, row_task, this, size_t(q_.n * q_.oh), cpu_pool_flags());
    return Status();
  }
  const char* kind() const override { return "dwconv3x3_avx512"; }

 private:
  static void row_task(void* ctx, size_t index) {
    static_cast<const DwConvKernel*>(ctx)->row(int64_t(index));
  }

  // One output pixel of channel block b with bounds checks (borders).
  TANDEM_AVX512 void edge_pixel(int64_t ox, int64_t b, const float* const* rows, int ky0, int ky1,
                                float* out) const {
    const ConvGeometry& q = q_;
    const int64_t c0 = b * 16;
    const __mmask16 m = __mmask16(q.c - c0 >= 16 ? 0xFFFF : (1u << (q.c - c0)) - 1);
    const float* blk = packed_.data() + b * 160;
    __m512 acc = _mm512_loadu_ps(blk + 144);
    const int64_t ix0 = ox * q.sh - q.pl;
    for (int ky = ky0; ky < ky1; ++ky)
      for (int kx = 0; kx < 3; ++kx) {
        const int64_t ix = ix0 + kx;
        if (ix < 0 || ix >= q.w) continue;
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, rows[ky] + ix * in_stride_ + c0),
                              _mm512_loadu_ps(blk + (ky * 3 + kx) * 16), acc);
      }
    acc = _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, acc, _mm512_set1_ps(lo_)),
                              _mm512_set1_ps(hi_));
    _mm512_mask_storeu_ps(out + ox * out_stride_ + c0, m, acc);
  }

  // Interior pixels [ox_lo, ox_hi) of an interior row for channel block b: the 9
  // taps stay in registers while the kernel walks the row.
  TANDEM_AVX512 void interior_run(int64_t ox_lo, int64_t ox_hi, int64_t b, const float* const* rows,
                                  float* out) const {
    const ConvGeometry& q = q_;
    const int64_t c0 = b * 16, s = q.sh;
    const __mmask16 m = __mmask16(q.c - c0 >= 16 ? 0xFFFF : (1u << (q.c - c0)) - 1);
    const float* blk = packed_.data() + b * 160;
    __m512 wt[9];
#pragma GCC unroll 9
    for (int t = 0; t < 9; ++t) wt[t] = _mm512_loadu_ps(blk + t * 16);
    const __m512 bias = _mm512_loadu_ps(blk + 144);
    const __m512 lo = _mm512_set1_ps(lo_), hi = _mm512_set1_ps(hi_);
    for (int64_t ox = ox_lo; ox < ox_hi; ++ox) {
      const int64_t off = (ox * s - q.pl) * in_stride_ + c0;
      __m512 acc = bias;
#pragma GCC unroll 3
      for (int ky = 0; ky < 3; ++ky) {
        const float* r = rows[ky] + off;
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r), wt[ky * 3], acc);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r + in_stride_), wt[ky * 3 + 1], acc);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r + 2 * in_stride_), wt[ky * 3 + 2], acc);
      }
      acc = _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, acc, lo), hi);
      _mm512_mask_storeu_ps(out + ox * out_stride_ + c0, m, acc);
    }
  }

  TANDEM_AVX512 void row(int64_t index) const {
    const ConvGeometry& q = q_;
    const int64_t img = index / q.oh, oy = index % q.oh, s = q.sh;
    const int64_t iy0 = oy * s - q.pt;
    const int ky0 = int(std::max<int64_t>(0, -iy0)), ky1 = int(std::min<int64_t>(3, q.h - iy0));
    // Output columns whose three taps are all inside the image.
    const int64_t ox_lo = std::min(q.ow, (q.pl + s - 1) / s);
    const int64_t last = q.w - 3 + q.pl;  // the largest ox * s with all taps inside
    const int64_t ox_hi = last < 0 ? ox_lo : std::max(ox_lo, std::min(q.ow, last / s + 1));
    const float* rows[3] = {nullptr, nullptr, nullptr};
    for (int ky = ky0; ky < ky1; ++ky) rows[ky] = x_ + ((img * q.h + iy0 + ky) * q.w) * in_stride_;
    float* out = y_ + (img * q.oh + oy) * q.ow * out_stride_;
    if (ky0 != 0 || ky1 != 3) {  // top or bottom border row
      for (int64_t ox = 0; ox < q.ow; ++ox)
        for (int64_t b = 0; b < blocks_; ++b) edge_pixel(ox, b, rows, ky0, ky1, out);
      return;
    }
    for (int64_t b = 0; b < blocks_; ++b) {
      for (int64_t ox = 0; ox < ox_lo; ++ox) edge_pixel(ox, b, rows, 0, 3, out);
      interior_run(ox_lo, ox_hi, b, rows, out);
      for (int64_t ox = ox_hi; ox < q.ow; ++ox) edge_pixel(ox, b, rows, 0, 3, out);
    }
  }

  ConvGeometry q_{};
  const float* x_ = nullptr;
  float* y_ = nullptr;
  int64_t in_stride_ = 0, out_stride_ = 0, blocks_ = 0;
  float lo_ = 0, hi_ = 0;
  std::vector<float> packed_;
};

#endif

}  // namespace

bool dwconv3x3_avx512_applicable(const Graph& g, const Node& n) {
#if defined(__x86_64__)
  if (!gemm_avx512_available() || !is_depthwise_3x3(g, n)) return false;
  return n.attrs.strides.empty() || n.attrs.strides[0] <= 2;
#else
  (void)g, (void)n;
  return false;
#endif
}

Expected<KernelPtr> make_dwconv3x3_avx512(const KernelArgs& a) {
#if defined(__x86_64__)
  auto k = std::make_unique<DwConvKernel>();
  TANDEM_RETURN_IF_ERROR(k->init(a));
  return KernelPtr(std::move(k));
#else
  return internal_error("AVX-512 depthwise conv on a non-x86 build ('" + a.node->name + "')");
#endif
}

}  // namespace tandem::cpu
