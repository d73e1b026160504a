// Depthwise 3x3 convolution (stride 1 or 2, any padding), NHWC, on AVX-512.
// DwConv3x3Rows computes four output pixels at a time for every 16-channel
// block: the taps are loaded once per four outputs and each input vector feeds
// up to three of them; border columns load zeros through masks and rows outside
// the image point at a zero row, so borders take the same path. Measured
// (bench_cpu_kernels conv2d_dw_avx512/ vs conv2d/, 1 thread): 1.1-1.7x XNNPACK
// on MobileNetV2's 112x112-28x28 layers and at 7x7, 0.92-0.96x at 14x14; inside
// the whole model standalone depthwise convs measured the same on either kernel
// (memory-bound), so standalone it is chosen for <= 32 channels only, where it
// was 1.45x before these changes too. The rows also serve the fused inverted
// residual block (inverted_residual.cc). (Walking a row once per channel block
// instead of all blocks per pixel group measured 5-20% slower.)
#include <algorithm>

#include "kernels/cpu/dwconv3x3_avx512.h"

#include "kernels/cpu/cpu_kernel.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tandem::cpu {

#if defined(__x86_64__)

void DwConv3x3Rows::init(const ConvGeometry& q, const float* w, const float* bias, float lo,
                         float hi, int64_t in_stride) {
  q_ = q;
  zeros_.assign(size_t(q.w * in_stride + 16), 0.0f);
  lo_ = lo;
  hi_ = hi;
  blocks_ = (q.c + 15) / 16;
  packed_.assign(size_t(blocks_ * 10 * 16), 0.0f);
  for (int64_t c = 0; c < q.c; ++c) {
    float* blk = packed_.data() + (c / 16) * 160 + c % 16;
    for (int t = 0; t < 9; ++t) blk[t * 16] = w[c * 9 + t];
    blk[9 * 16] = bias ? bias[c] : 0.0f;
  }
}

// Output pixels ox .. ox + n - 1 (n <= 4) of one row, all channel blocks, pixel ox
// written at out. Per block the taps are loaded once for four outputs and each
// input vector feeds up to three of them; the inputs of neighbouring pixels (one
// contiguous run of channels) stream through L1 instead of a row being walked
// again per 16-channel block. Input columns outside the image load as zeros.
TANDEM_AVX512 void DwConv3x3Rows::group(int64_t ox, int64_t n, const float* const* rows,
                                        int64_t in_stride, float* out, int64_t out_stride) const {
  const ConvGeometry& q = q_;
  const int64_t s = q.sw, ix0 = ox * s - q.pl;
  // Input columns ix0 + i with i in [i_lo, i_hi) are inside the image.
  const int64_t i_lo = std::max<int64_t>(0, -ix0), i_hi = q.w - ix0;
  const __m512 lo = _mm512_set1_ps(lo_), hi = _mm512_set1_ps(hi_);
  for (int64_t b = 0; b < blocks_; ++b) {
    const int64_t c0 = b * 16;
    const __mmask16 m = __mmask16(q.c - c0 >= 16 ? 0xFFFF : (1u << (q.c - c0)) - 1);
    const float* blk = packed_.data() + b * 160;
    __m512 acc[4];
    const __m512 bias = _mm512_loadu_ps(blk + 144);
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) acc[j] = bias;
    for (int ky = 0; ky < 3; ++ky) {
      const float* r = rows[ky] + c0;
      const __m512 w[3] = {_mm512_loadu_ps(blk + (ky * 3) * 16),
                           _mm512_loadu_ps(blk + (ky * 3 + 1) * 16),
                           _mm512_loadu_ps(blk + (ky * 3 + 2) * 16)};
      __m512 in[9];
#pragma GCC unroll 9
      for (int i = 0; i < 9; ++i)
        in[i] = i >= i_lo && i < i_hi ? _mm512_maskz_loadu_ps(m, r + (ix0 + i) * in_stride)
                                      : _mm512_setzero_ps();
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j)
#pragma GCC unroll 3
        for (int kx = 0; kx < 3; ++kx)
          acc[j] = _mm512_fmadd_ps(in[s == 1 ? j + kx : 2 * j + kx], w[kx], acc[j]);
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      if (j >= n) break;
      acc[j] = _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, acc[j], lo), hi);
      _mm512_mask_storeu_ps(out + j * out_stride + c0, m, acc[j]);
    }
  }
}

// Interior pixels ox .. ox + 3 (all taps inside the image), all channel blocks:
// the same as group() with no column checks.
TANDEM_AVX512 void DwConv3x3Rows::interior_quad(int64_t ox, const float* const* rows,
                                                int64_t in_stride, float* out,
                                                int64_t out_stride) const {
  const ConvGeometry& q = q_;
  const int64_t s = q.sw, base = (ox * s - q.pl) * in_stride;
  const __m512 lo = _mm512_set1_ps(lo_), hi = _mm512_set1_ps(hi_);
  for (int64_t b = 0; b < blocks_; ++b) {
    const int64_t c0 = b * 16;
    const __mmask16 m = __mmask16(q.c - c0 >= 16 ? 0xFFFF : (1u << (q.c - c0)) - 1);
    const float* blk = packed_.data() + b * 160;
    __m512 acc[4];
    const __m512 bias = _mm512_loadu_ps(blk + 144);
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) acc[j] = bias;
#pragma GCC unroll 3
    for (int ky = 0; ky < 3; ++ky) {
      const float* r = rows[ky] + base + c0;
      const __m512 w0 = _mm512_loadu_ps(blk + (ky * 3) * 16);
      const __m512 w1 = _mm512_loadu_ps(blk + (ky * 3 + 1) * 16);
      const __m512 w2 = _mm512_loadu_ps(blk + (ky * 3 + 2) * 16);
      if (s == 1) {
        __m512 in[6];
#pragma GCC unroll 6
        for (int i = 0; i < 6; ++i) in[i] = _mm512_maskz_loadu_ps(m, r + i * in_stride);
#pragma GCC unroll 4
        for (int j = 0; j < 4; ++j) {
          acc[j] = _mm512_fmadd_ps(in[j], w0, acc[j]);
          acc[j] = _mm512_fmadd_ps(in[j + 1], w1, acc[j]);
          acc[j] = _mm512_fmadd_ps(in[j + 2], w2, acc[j]);
        }
      } else {  // stride 2
        __m512 in[9];
#pragma GCC unroll 9
        for (int i = 0; i < 9; ++i) in[i] = _mm512_maskz_loadu_ps(m, r + i * in_stride);
#pragma GCC unroll 4
        for (int j = 0; j < 4; ++j) {
          acc[j] = _mm512_fmadd_ps(in[2 * j], w0, acc[j]);
          acc[j] = _mm512_fmadd_ps(in[2 * j + 1], w1, acc[j]);
          acc[j] = _mm512_fmadd_ps(in[2 * j + 2], w2, acc[j]);
        }
      }
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      acc[j] = _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, acc[j], lo), hi);
      _mm512_mask_storeu_ps(out + j * out_stride + c0, m, acc[j]);
    }
  }
}

TANDEM_AVX512 void DwConv3x3Rows::row(const float* x, int64_t in_stride, int64_t img, int64_t oy,
                                      int64_t ox0, int64_t ox1, float* out,
                                      int64_t out_stride) const {
  const ConvGeometry& q = q_;
  const int64_t iy0 = oy * q.sh - q.pt;
  // Rows above or below the image read zeros, so border rows take the same paths.
  const float* rows[3];
  for (int ky = 0; ky < 3; ++ky) {
    const int64_t iy = iy0 + ky;
    rows[ky] = iy < 0 || iy >= q.h ? zeros_.data() : x + ((img * q.h + iy) * q.w) * in_stride;
  }
  row_from(rows, in_stride, ox0, ox1, out, out_stride);
}

TANDEM_AVX512 void DwConv3x3Rows::row_from(const float* const* rows, int64_t in_stride, int64_t ox0,
                                           int64_t ox1, float* out, int64_t out_stride) const {
  const ConvGeometry& q = q_;
  const int64_t s = q.sw;
  // Output columns whose three taps are all inside the image, within [ox0, ox1).
  const int64_t last = q.w - 3 + q.pl;  // the largest ox * s with all taps inside
  int64_t ox_lo = std::min(q.ow, (q.pl + s - 1) / s);
  int64_t ox_hi = last < 0 ? ox_lo : std::max(ox_lo, std::min(q.ow, last / s + 1));
  ox_lo = std::clamp(ox_lo, ox0, ox1);
  ox_hi = std::clamp(ox_hi, ox_lo, ox1);
  auto at = [&](int64_t ox) { return out + (ox - ox0) * out_stride; };
  // Pixel groups outer, channel blocks inner: a group's inputs are contiguous runs
  // of channels that stream through L1 (walking the row once per channel block
  // measured slower).
  int64_t ox = ox0;
  for (; ox < ox_lo; ox += 4)  // left border (with the first interior pixels)
    group(ox, std::min<int64_t>(4, ox1 - ox), rows, in_stride, at(ox), out_stride);
  for (; ox + 4 <= ox_hi; ox += 4) interior_quad(ox, rows, in_stride, at(ox), out_stride);
  for (; ox < ox1; ox += 4)  // the rest and the right border
    group(ox, std::min<int64_t>(4, ox1 - ox), rows, in_stride, at(ox), out_stride);
}

#endif

namespace {

#if defined(__x86_64__)

class DwConvKernel : public CpuKernel {
 public:
  Status init(const KernelArgs& a) {
    const Node& nd = *a.node;
    const ConvGeometry q = conv_geometry(*a.g, nd);
    x_ = a.inputs[0].data;
    y_ = a.outputs[0].data;
    in_stride_ = a.inputs[0].pixel_stride;
    out_stride_ = a.outputs[0].pixel_stride;
    const float* bias = a.inputs.size() > 2 && a.inputs[2].data ? a.inputs[2].data : nullptr;
    rows_.init(q, a.inputs[1].data, bias, nd.attrs.activation.min, nd.attrs.activation.max,
               in_stride_);
    consumed_constants.push_back(nd.inputs[1]);
    if (bias) consumed_constants.push_back(nd.inputs[2]);
    return Status();
  }
  Status run(pthreadpool_t pool) override {
    const ConvGeometry& q = rows_.geometry();
    pthreadpool_parallelize_1d(pool, row_task, this, size_t(q.n * q.oh), cpu_pool_flags());
    return Status();
  }
  const char* kind() const override { return "dwconv3x3_avx512"; }

 private:
  static void row_task(void* ctx, size_t index) {
    const auto* k = static_cast<const DwConvKernel*>(ctx);
    const ConvGeometry& q = k->rows_.geometry();
    const int64_t img = int64_t(index) / q.oh, oy = int64_t(index) % q.oh;
    k->rows_.row(k->x_, k->in_stride_, img, oy, 0, q.ow,
                 k->y_ + int64_t(index) * q.ow * k->out_stride_, k->out_stride_);
  }

  DwConv3x3Rows rows_;
  const float* x_ = nullptr;
  float* y_ = nullptr;
  int64_t in_stride_ = 0, out_stride_ = 0;
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
