// Depthwise 3x3 and 5x5 convolutions (stride 1 or 2, any padding), NHWC, on
// AVX-512. DwConvRows computes four output pixels at a time for every 16-channel
// block: a kernel row's taps are loaded once per four outputs and each input
// vector feeds up to K of them; border columns load zeros through masks and rows
// outside the image point at a zero row, so borders take the same path.
// Measured (bench_cpu_kernels conv2d_dw_avx512/ vs conv2d/, 1 thread): 3x3 is
// 1.1-1.7x XNNPACK on MobileNetV2's 112x112-28x28 layers and at 7x7, 0.92-0.96x
// at 14x14, and inside a whole model standalone 3x3 convs measured the same on
// either kernel (memory-bound), so standalone 3x3 runs here for <= 32 channels
// only; 5x5, where XNNPACK 2022 ran MnasNet's layers at 2.1-2.6x ONNX Runtime's
// time, always (see dwconv_avx512_profitable). The rows also serve the fused
// inverted residual block (inverted_residual.cc). (Walking a row once per
// channel block instead of all blocks per pixel group measured 5-20% slower.)
#include "kernels/cpu/x86/dwconv_avx512.h"

#include <algorithm>

#include "kernels/cpu/compiler/cpu_kernel.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tandem::cpu {

#if defined(__x86_64__)

void DwConvRows::init(const ConvGeometry& q, const float* w, const float* bias, float lo, float hi,
                      int64_t in_stride) {
  q_ = q;
  lo_ = lo;
  hi_ = hi;
  taps_ = int(q.kh * q.kw);
  zeros_.assign(size_t(q.w * in_stride + 16), 0.0f);
  blocks_ = (q.c + 15) / 16;
  const int64_t per_block = (taps_ + 1) * 16;
  packed_.assign(size_t(blocks_ * per_block), 0.0f);
  for (int64_t c = 0; c < q.c; ++c) {
    float* blk = packed_.data() + (c / 16) * per_block + c % 16;
    for (int t = 0; t < taps_; ++t) blk[t * 16] = w[c * taps_ + t];
    blk[taps_ * 16] = bias ? bias[c] : 0.0f;
  }
}

template <int K>
TANDEM_AVX512 void DwConvRows::group(int64_t ox, int64_t n, const float* const* rows,
                                     int64_t in_stride, float* out, int64_t out_stride) const {
  const ConvGeometry& q = q_;
  const int64_t s = q.sw, ix0 = ox * s - q.pl;
  // Input columns ix0 + i with i in [i_lo, i_hi) are inside the image.
  const int64_t i_lo = std::max<int64_t>(0, -ix0), i_hi = q.w - ix0;
  constexpr int kCols = 6 + K;  // enough for four outputs at stride 2
  const __m512 lo = _mm512_set1_ps(lo_), hi = _mm512_set1_ps(hi_);
  for (int64_t b = 0; b < blocks_; ++b) {
    const int64_t c0 = b * 16;
    const __mmask16 m = __mmask16(q.c - c0 >= 16 ? 0xFFFF : (1u << (q.c - c0)) - 1);
    const float* blk = packed_.data() + b * (K * K + 1) * 16;
    __m512 acc[4];
    const __m512 bias = _mm512_loadu_ps(blk + K * K * 16);
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) acc[j] = bias;
    for (int ky = 0; ky < K; ++ky) {
      const float* r = rows[ky] + c0;
      __m512 w[K];
#pragma GCC unroll 5
      for (int kx = 0; kx < K; ++kx) w[kx] = _mm512_loadu_ps(blk + (ky * K + kx) * 16);
      __m512 in[kCols];
#pragma GCC unroll 11
      for (int i = 0; i < kCols; ++i)
        in[i] = i >= i_lo && i < i_hi ? _mm512_maskz_loadu_ps(m, r + (ix0 + i) * in_stride)
                                      : _mm512_setzero_ps();
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j)
#pragma GCC unroll 5
        for (int kx = 0; kx < K; ++kx)
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

template <int K, int S>
TANDEM_AVX512 void DwConvRows::interior_quad(int64_t ox, const float* const* rows,
                                             int64_t in_stride, float* out,
                                             int64_t out_stride) const {
  const ConvGeometry& q = q_;
  const int64_t base = (ox * S - q.pl) * in_stride;
  constexpr int kCols = 3 * S + K;
  const __m512 lo = _mm512_set1_ps(lo_), hi = _mm512_set1_ps(hi_);
  for (int64_t b = 0; b < blocks_; ++b) {
    const int64_t c0 = b * 16;
    const __mmask16 m = __mmask16(q.c - c0 >= 16 ? 0xFFFF : (1u << (q.c - c0)) - 1);
    const float* blk = packed_.data() + b * (K * K + 1) * 16;
    __m512 acc[4];
    const __m512 bias = _mm512_loadu_ps(blk + K * K * 16);
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) acc[j] = bias;
#pragma GCC unroll 5
    for (int ky = 0; ky < K; ++ky) {
      const float* r = rows[ky] + base + c0;
      __m512 w[K];
#pragma GCC unroll 5
      for (int kx = 0; kx < K; ++kx) w[kx] = _mm512_loadu_ps(blk + (ky * K + kx) * 16);
      __m512 in[kCols];
#pragma GCC unroll 11
      for (int i = 0; i < kCols; ++i) in[i] = _mm512_maskz_loadu_ps(m, r + i * in_stride);
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j)
#pragma GCC unroll 5
        for (int kx = 0; kx < K; ++kx) acc[j] = _mm512_fmadd_ps(in[S * j + kx], w[kx], acc[j]);
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      acc[j] = _mm512_maskz_min_ps(0xFFFF, _mm512_maskz_max_ps(0xFFFF, acc[j], lo), hi);
      _mm512_mask_storeu_ps(out + j * out_stride + c0, m, acc[j]);
    }
  }
}

TANDEM_AVX512 void DwConvRows::row(const float* x, int64_t in_stride, int64_t img, int64_t oy,
                                   int64_t ox0, int64_t ox1, float* out, int64_t out_stride) const {
  const ConvGeometry& q = q_;
  const int64_t iy0 = oy * q.sh - q.pt;
  // Rows above or below the image read zeros, so border rows take the same paths.
  const float* rows[kMaxK];
  for (int ky = 0; ky < q.kh; ++ky) {
    const int64_t iy = iy0 + ky;
    rows[ky] = iy < 0 || iy >= q.h ? zeros_.data() : x + ((img * q.h + iy) * q.w) * in_stride;
  }
  row_from(rows, in_stride, ox0, ox1, out, out_stride);
}

TANDEM_AVX512 void DwConvRows::row_from(const float* const* rows, int64_t in_stride, int64_t ox0,
                                        int64_t ox1, float* out, int64_t out_stride) const {
  const bool s1 = q_.sw == 1;
  if (q_.kw == 3)
    s1 ? row_k<3, 1>(rows, in_stride, ox0, ox1, out, out_stride)
       : row_k<3, 2>(rows, in_stride, ox0, ox1, out, out_stride);
  else
    s1 ? row_k<5, 1>(rows, in_stride, ox0, ox1, out, out_stride)
       : row_k<5, 2>(rows, in_stride, ox0, ox1, out, out_stride);
}

template <int K, int S>
TANDEM_AVX512 void DwConvRows::row_k(const float* const* rows, int64_t in_stride, int64_t ox0,
                                     int64_t ox1, float* out, int64_t out_stride) const {
  const ConvGeometry& q = q_;
  // Output columns whose K taps are all inside the image, within [ox0, ox1).
  const int64_t last = q.w - K + q.pl;  // the largest ox * S with all taps inside
  int64_t ox_lo = std::min(q.ow, (q.pl + S - 1) / S);
  int64_t ox_hi = last < 0 ? ox_lo : std::max(ox_lo, std::min(q.ow, last / S + 1));
  ox_lo = std::clamp(ox_lo, ox0, ox1);
  ox_hi = std::clamp(ox_hi, ox_lo, ox1);
  auto at = [&](int64_t ox) { return out + (ox - ox0) * out_stride; };
  // Pixel groups outer, channel blocks inner: a group's inputs are contiguous runs
  // of channels that stream through L1.
  int64_t ox = ox0;
  for (; ox < ox_lo; ox += 4)  // left border (with the first interior pixels)
    group<K>(ox, std::min<int64_t>(4, ox1 - ox), rows, in_stride, at(ox), out_stride);
  for (; ox + 4 <= ox_hi; ox += 4) interior_quad<K, S>(ox, rows, in_stride, at(ox), out_stride);
  for (; ox < ox1; ox += 4)  // the rest and the right border
    group<K>(ox, std::min<int64_t>(4, ox1 - ox), rows, in_stride, at(ox), out_stride);
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
  const char* kind() const override { return "dwconv_avx512"; }

 private:
  static void row_task(void* ctx, size_t index) {
    const auto* k = static_cast<const DwConvKernel*>(ctx);
    const ConvGeometry& q = k->rows_.geometry();
    const int64_t img = int64_t(index) / q.oh, oy = int64_t(index) % q.oh;
    k->rows_.row(k->x_, k->in_stride_, img, oy, 0, q.ow,
                 k->y_ + int64_t(index) * q.ow * k->out_stride_, k->out_stride_);
  }

  DwConvRows rows_;
  const float* x_ = nullptr;
  float* y_ = nullptr;
  int64_t in_stride_ = 0, out_stride_ = 0;
};

#endif

}  // namespace

bool dwconv_avx512_applicable(const Graph& g, const Node& n) {
#if defined(__x86_64__)
  if (!gemm_avx512_available() || !(is_depthwise_kxk(g, n, 3) || is_depthwise_kxk(g, n, 5)))
    return false;
  return n.attrs.strides.empty() || n.attrs.strides[0] <= 2;
#else
  (void)g, (void)n;
  return false;
#endif
}

bool dwconv_avx512_profitable(const Graph& g, const Node& n) {
  // 3x3: <= 32 channels (1.45-1.7x; wider layers measured the same as XNNPACK in
  // whole models); 5x5: always (XNNPACK 2022's 5x5 ran 2.1-2.6x ONNX Runtime's time).
  return is_depthwise_kxk(g, n, 5) || g.tensor(n.inputs[0]).shape[1] <= 32;
}

Expected<KernelPtr> make_dwconv_avx512(const KernelArgs& a) {
#if defined(__x86_64__)
  auto k = std::make_unique<DwConvKernel>();
  TANDEM_RETURN_IF_ERROR(k->init(a));
  return KernelPtr(std::move(k));
#else
  return internal_error("AVX-512 depthwise conv on a non-x86 build ('" + a.node->name + "')");
#endif
}

}  // namespace tandem::cpu
