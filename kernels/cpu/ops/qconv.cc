// QConv and QGemm on XNNPACK's qc8 convolution (int8 NHWC, per-channel weight
// scales, int32 bias, fp32 requantization with round half to even: the
// arithmetic of docs/int8.md). QGemm is a 1x1 convolution over N "pixels".
// Dense QConvs run on the own VNNI GEMM (AVX-512 VNNI) or the own exact AVX2 GEMM
// (AVX2 + FMA, or isa=avx2) instead where those apply; depthwise ones on the own
// loop (AVX-512, or AVX2 + FMA without it or at isa=avx2).
#include <algorithm>

#include "graph/quant_math.h"
#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/ops/conv_geometry.h"
#include "kernels/cpu/x86/qdwconv.h"
#include "kernels/cpu/x86/qgemm_amx.h"
#include "kernels/cpu/x86/qgemm_avx2.h"
#include "kernels/cpu/x86/qgemm_vnni.h"
#include "kernels/cpu/x86/qwinograd_avx2.h"

namespace tandem::cpu {
namespace {

uint32_t attr_at(const std::vector<int64_t>& v, size_t i, int64_t d) {
  return v.size() > i ? static_cast<uint32_t>(v[i]) : static_cast<uint32_t>(d);
}

struct QConvShape {
  int64_t groups = 1, m = 0, cg = 0, kh = 1, kw = 1;
  size_t batch = 0, h = 1, w = 1, in_stride = 0, out_stride = 0;
};

// ONNX [M, C/g, kh, kw] -> XNNPACK [g, M/g, kh, kw, C/g]; one scale per output channel.
Expected<KernelPtr> make_qc8(const KernelArgs& a, const QConvShape& s) {
  const Node& n = *a.node;
  const NodeAttrs& at = n.attrs;
  const Tensor& xt = a.g->tensor(n.inputs[0]);
  const Tensor& wt = a.g->tensor(n.inputs[1]);
  const Tensor& yt = a.g->tensor(n.outputs[0]);
  const int8_t* w = a.inputs[1].i8();
  std::vector<int8_t> packed(static_cast<size_t>(s.m * s.cg * s.kh * s.kw));
  for (int64_t o = 0; o < s.m; ++o)
    for (int64_t i = 0; i < s.cg; ++i)
      for (int64_t r = 0; r < s.kh * s.kw; ++r)
        packed[size_t((o * s.kh * s.kw + r) * s.cg + i)] = w[(o * s.cg + i) * s.kh * s.kw + r];
  std::vector<float> scales(static_cast<size_t>(s.m));
  for (int64_t o = 0; o < s.m; ++o)
    scales[size_t(o)] = wt.quant.scale.size() == 1 ? wt.quant.scale[0] : wt.quant.scale[size_t(o)];
  const bool has_bias = a.inputs.size() > 2 && a.inputs[2].data;
  const auto* bias = has_bias ? reinterpret_cast<const int32_t*>(a.inputs[2].data) : nullptr;
  xnn_operator_t op = nullptr;
  enum xnn_status st = xnn_create_convolution2d_nhwc_qc8(
      attr_at(at.pads, 0, 0), attr_at(at.pads, 3, 0), attr_at(at.pads, 2, 0),
      attr_at(at.pads, 1, 0), uint32_t(s.kh), uint32_t(s.kw), attr_at(at.strides, 0, 1),
      attr_at(at.strides, 1, 1), attr_at(at.dilations, 0, 1), attr_at(at.dilations, 1, 1),
      uint32_t(s.groups), size_t(s.cg), size_t(s.m / s.groups), s.in_stride, s.out_stride,
      int8_t(xt.quant.zero_point[0]), xt.quant.scale[0], scales.data(), packed.data(), bias,
      int8_t(yt.quant.zero_point[0]), yt.quant.scale[0], int8_t(at.qmin), int8_t(at.qmax),
      cpu_xnn_flags(), &op);
  if (st != xnn_status_success) return xnn_error(st, "create qc8 convolution", n);
  XnnOperator owned(op);
  st = xnn_setup_convolution2d_nhwc_qc8(op, s.batch, s.h, s.w, a.inputs[0].i8(), a.outputs[0].i8(),
                                        a.pool);
  if (st != xnn_status_success) return xnn_error(st, "setup qc8 convolution", n);
  auto k = std::make_unique<XnnKernel>(std::move(owned), n.name);
  k->consumed_constants.push_back(n.inputs[1]);
  if (has_bias) k->consumed_constants.push_back(n.inputs[2]);
  return KernelPtr(std::move(k));
}

Expected<KernelPtr> make_qconv(const KernelArgs& a) {
  const CpuTensor& x = a.inputs[0];
  const CpuTensor& w = a.inputs[1];
  QConvShape s;
  s.groups = a.node->attrs.group;
  s.m = w.shape[0], s.cg = w.shape[1], s.kh = w.shape[2], s.kw = w.shape[3];
  s.batch = size_t(x.n()), s.h = size_t(x.h()), s.w = size_t(x.w());
  s.in_stride = size_t(x.pixel_stride), s.out_stride = size_t(a.outputs[0].pixel_stride);
  return make_qc8(a, s);
}

// x [N, K] -> N pixels of K channels; y [N, M].
Expected<KernelPtr> make_qgemm(const KernelArgs& a) {
  const CpuTensor& x = a.inputs[0];
  QConvShape s;
  s.m = a.inputs[1].shape[0], s.cg = a.inputs[1].shape[1];
  s.batch = size_t(x.shape[0]);
  s.in_stride = size_t(s.cg), s.out_stride = size_t(s.m);
  return make_qc8(a, s);
}

// XNNPACK's qc8 requantization takes scales in [2^-32, 256).
bool multipliers_in_range(const Graph& g, const Node& n) {
  const Quantization& qx = g.tensor(n.inputs[0]).quant;
  const Quantization& qw = g.tensor(n.inputs[1]).quant;
  const Quantization& qy = g.tensor(n.outputs[0]).quant;
  for (size_t m = 0; m < size_t(g.tensor(n.inputs[1]).shape[0]); ++m) {
    const float r = qmath::conv_multiplier(qx, qw, m, qy);
    if (!(r >= 0x1.0p-32f && r < 256.0f)) return false;
  }
  return true;
}

// The multipliers (sx * sw[m]) / sy of n's output channels.
std::vector<float> conv_multipliers(const Graph& g, const Node& n) {
  const Quantization& qx = g.tensor(n.inputs[0]).quant;
  const Quantization& qw = g.tensor(n.inputs[1]).quant;
  const Quantization& qy = g.tensor(n.outputs[0]).quant;
  std::vector<float> mult(static_cast<size_t>(g.tensor(n.inputs[1]).shape[0]));
  for (size_t o = 0; o < mult.size(); ++o) mult[o] = qmath::conv_multiplier(qx, qw, o, qy);
  return mult;
}

// The QAdd reading n's output (fusion.cc put it in n's epilogue): sets the own
// GEMM's residual fields (either weights type) to add `residual` with its rule.
template <class Weights>
void fuse_qadd(const Graph& g, const Node& n, const CpuTensor& residual, Weights& w) {
  for (const Node& add : g.nodes) {
    if (add.op != OpType::kQAdd || add.inputs.size() != 2) continue;
    const int mine = add.inputs[0] == n.outputs[0] ? 0 : add.inputs[1] == n.outputs[0] ? 1 : -1;
    if (mine < 0) continue;
    w.add = qmath::add_factors(g.tensor(n.outputs[0]).quant,
                               g.tensor(add.inputs[size_t(1 - mine)]).quant,
                               g.tensor(add.outputs[0]).quant);
    w.residual = residual.i8();
    return;
  }
}

// What every own int8 GEMM's pack takes besides the weights: the int32 bias (null when
// the node has none), zero points, multipliers and the output clamp.
struct PackArgs {
  const int32_t* bias = nullptr;
  int32_t zx = 0, zy = 0, lo = -128, hi = 127;
  std::vector<float> multiplier;
};

PackArgs pack_args(const KernelArgs& a) {
  const Graph& g = *a.g;
  const Node& n = *a.node;
  PackArgs p;
  if (a.inputs.size() > 2 && a.inputs[2].data)
    p.bias = reinterpret_cast<const int32_t*>(a.inputs[2].data);
  p.zx = int32_t(g.tensor(n.inputs[0]).quant.zero_point[0]);
  p.zy = int32_t(g.tensor(n.outputs[0]).quant.zero_point[0]);
  p.lo = int32_t(n.attrs.qmin), p.hi = int32_t(n.attrs.qmax);
  p.multiplier = conv_multipliers(g, n);
  return p;
}

// The weights (and the bias, when packed) are the kernel's own copies now.
void consume_constants(const KernelArgs& a, const PackArgs& p, CpuKernel& k) {
  k.consumed_constants.push_back(a.node->inputs[1]);
  if (p.bias) k.consumed_constants.push_back(a.node->inputs[2]);
}

// The own int8 GEMMs a dense QConv runs on: AVX-512 VNNI (x86/qgemm_vnni.h) and the
// exact AVX2 one (x86/qgemm_avx2.h), each for 1x1 stride-1 unpadded convs as one GEMM
// over the NHWC pixels and for other convs over gathered patches.
struct VnniGemm {
  using Weights = QGemmVnniWeights;
  using Geometry = QConvVnniGeometry;
  static constexpr const char* kGemmKind = "qgemm_vnni";
  static constexpr const char* kConvKind = "qconv_vnni";
  static bool direct(const ConvGeometry& q) { return q.direct() && q.c % 4 == 0; }
  static Geometry geometry(const ConvGeometry& q, int32_t zx) {
    return {q.n, q.h, q.w, q.c, q.oh, q.ow, q.kh, q.kw, q.sh, q.sw, q.dh, q.dw, q.pt, q.pl, zx};
  }
  static int64_t depth(const Geometry& g) { return g.depth(); }
  static std::vector<int8_t> patch_weights(const int8_t* w, const Shape& ws) {
    return qconv_vnni_patch_weights(w, ws[0], ws[1], ws[2], ws[3]);
  }
  static constexpr auto pack = qgemm_vnni_pack;
  static constexpr auto gemm = qgemm_vnni_run;
  static constexpr auto conv = qconv_vnni_run;
};

// AMX: the VNNI GEMM's geometry, patch order and weight layout, but it copies or gathers
// A into tiles itself, so any depth goes direct.
struct AmxGemm : VnniGemm {
  using Weights = QGemmAmxWeights;
  static constexpr const char* kGemmKind = "qgemm_amx";
  static constexpr const char* kConvKind = "qconv_amx";
  static bool direct(const ConvGeometry& q) { return q.direct(); }
  static constexpr auto pack = qgemm_amx_pack;
  static constexpr auto gemm = qgemm_amx_run;
  static constexpr auto conv = qconv_amx_run;
};

struct Avx2Gemm {
  using Weights = QGemmAvx2Weights;
  using Geometry = QConvAvx2Geometry;
  static constexpr const char* kGemmKind = "qgemm_avx2";
  static constexpr const char* kConvKind = "qconv_avx2";
  static bool direct(const ConvGeometry& q) { return q.direct(); }
  static Geometry geometry(const ConvGeometry& q, int32_t) {
    return {q.n, q.h, q.w, q.c, q.oh, q.ow, q.kh, q.kw, q.sh, q.sw, q.dh, q.dw, q.pt, q.pl};
  }
  static int64_t depth(const Geometry& g) { return g.depth(); }
  static std::vector<int8_t> patch_weights(const int8_t* w, const Shape& ws) {
    return qconv_avx2_patch_weights(w, ws[0], ws[1], ws[2], ws[3]);
  }
  static constexpr auto pack = qgemm_avx2_pack;
  static constexpr auto gemm = qgemm_avx2_run;
  static constexpr auto conv = qconv_avx2_run;
};

// A dense QConv on own GEMM K (VnniGemm or Avx2Gemm), a following QAdd in its epilogue.
template <class K>
class QConvGemm final : public CpuKernel {
 public:
  explicit QConvGemm(const KernelArgs& a)
      : x_(a.inputs[0].i8()),
        y_(a.outputs[0].i8()),
        rows_(a.inputs[0].n() * a.inputs[0].h() * a.inputs[0].w()),
        x_stride_(a.inputs[0].pixel_stride),
        y_stride_(a.outputs[0].pixel_stride) {
    const Graph& g = *a.g;
    const Node& n = *a.node;
    const Shape& ws = a.inputs[1].shape;
    const ConvGeometry q = conv_geometry(g, n);
    direct_ = K::direct(q);
    geo_ = K::geometry(q, g.tensor(n.inputs[0]).quant.zero_point[0]);
    const int64_t m = ws[0], k = direct_ ? q.c : K::depth(geo_);
    const std::vector<int8_t> patch_w =
        direct_ ? std::vector<int8_t>() : K::patch_weights(a.inputs[1].i8(), ws);
    const PackArgs p = pack_args(a);
    w_ = K::pack(direct_ ? a.inputs[1].i8() : patch_w.data(), m, k, p.bias, p.zx, p.multiplier,
                 p.zy, p.lo, p.hi);
    consume_constants(a, p, *this);
    if (a.residual.data) fuse_qadd(g, n, a.residual, w_);
  }
  Status run(pthreadpool_t pool) override {
    if (direct_)
      K::gemm(w_, x_, x_stride_, rows_, y_, y_stride_, pool, cpu_pool_flags());
    else
      K::conv(w_, geo_, x_, y_, pool, cpu_pool_flags());
    return Status();
  }
  const char* kind() const override { return direct_ ? K::kGemmKind : K::kConvKind; }

 private:
  const int8_t* x_;
  int8_t* y_;
  int64_t rows_, x_stride_, y_stride_;
  bool direct_ = true;
  typename K::Geometry geo_{};
  typename K::Weights w_;
};

// A QGemm (x [N, K] by W [M, K]) on own GEMM K: one GEMM over the N rows.
template <class K>
class QGemmOwn final : public CpuKernel {
 public:
  explicit QGemmOwn(const KernelArgs& a)
      : x_(a.inputs[0].i8()),
        y_(a.outputs[0].i8()),
        rows_(a.inputs[0].shape[0]),
        k_(a.inputs[1].shape[1]),
        m_(a.inputs[1].shape[0]) {
    const PackArgs p = pack_args(a);
    w_ = K::pack(a.inputs[1].i8(), m_, k_, p.bias, p.zx, p.multiplier, p.zy, p.lo, p.hi);
    consume_constants(a, p, *this);
  }
  Status run(pthreadpool_t pool) override {
    K::gemm(w_, x_, k_, rows_, y_, m_, pool, cpu_pool_flags());
    return Status();
  }
  const char* kind() const override { return K::kGemmKind; }

 private:
  const int8_t* x_;
  int8_t* y_;
  int64_t rows_, k_, m_;
  typename K::Weights w_;
};

template <class K>
Expected<KernelPtr> make_own_qgemm(const KernelArgs& a) {
  return KernelPtr(new QGemmOwn<K>(a));
}

Expected<KernelPtr> make_qconv_vnni(const KernelArgs& a) {
  return KernelPtr(new QConvGemm<VnniGemm>(a));
}

Expected<KernelPtr> make_qconv_amx(const KernelArgs& a) {
  return KernelPtr(new QConvGemm<AmxGemm>(a));
}

Expected<KernelPtr> make_qconv_avx2(const KernelArgs& a) {
  return KernelPtr(new QConvGemm<Avx2Gemm>(a));
}

// A 3x3 stride-1 dense QConv on the own exact int8 Winograd F(2x2, 3x3) for AVX2
// (x86/qwinograd_avx2.h), a following QAdd in its epilogue.
class QConvWinograd final : public CpuKernel {
 public:
  explicit QConvWinograd(const KernelArgs& a) : x_(a.inputs[0].i8()), y_(a.outputs[0].i8()) {
    const Graph& g = *a.g;
    const Node& n = *a.node;
    const ConvGeometry q = conv_geometry(g, n);
    geo_ = {q.n, q.h, q.w, q.c, q.oh, q.ow, q.pt, q.pl};
    const PackArgs p = pack_args(a);
    w_ = qwinograd_avx2_pack(a.inputs[1].i8(), q.m, q.c, p.bias, p.zx, p.multiplier, p.zy, p.lo,
                             p.hi);
    consume_constants(a, p, *this);
    if (a.residual.data) fuse_qadd(g, n, a.residual, w_);
  }
  Status run(pthreadpool_t pool) override {
    qwinograd_avx2_run(w_, geo_, x_, y_, pool, cpu_pool_flags());
    return Status();
  }
  const char* kind() const override { return "qwinograd_avx2"; }

 private:
  const int8_t* x_;
  int8_t* y_;
  QWinogradAvx2Geometry geo_{};
  QGemmAvx2Weights w_;
};

Expected<KernelPtr> make_qwinograd_avx2(const KernelArgs& a) {
  return KernelPtr(new QConvWinograd(a));
}

// A depthwise QConv (one filter per channel) on the own loop (x86/qdwconv.h), AVX-512
// or (avx2) AVX2 + FMA.
class QDwConv final : public CpuKernel {
 public:
  QDwConv(const KernelArgs& a, bool avx2)
      : x_(a.inputs[0].i8()), y_(a.outputs[0].i8()), avx2_(avx2) {
    const Graph& g = *a.g;
    const Node& n = *a.node;
    const Quantization& qx = g.tensor(n.inputs[0]).quant;
    const Quantization& qw = g.tensor(n.inputs[1]).quant;
    const Quantization& qy = g.tensor(n.outputs[0]).quant;
    const ConvGeometry q = conv_geometry(g, n);
    geo_ = {q.n, q.h, q.w, q.c, q.oh, q.ow, q.kh, q.kw, q.sh, q.sw, q.pt, q.pl, qx.zero_point[0]};
    std::vector<float> mult(static_cast<size_t>(q.m));
    for (int64_t o = 0; o < q.m; ++o)
      mult[size_t(o)] = qmath::conv_multiplier(qx, qw, size_t(o), qy);
    const bool has_bias = a.inputs.size() > 2 && a.inputs[2].data;
    w_ = qdwconv_pack(a.inputs[1].i8(), geo_,
                      has_bias ? reinterpret_cast<const int32_t*>(a.inputs[2].data) : nullptr, mult,
                      qy.zero_point[0], n.attrs.qmin, n.attrs.qmax);
    consumed_constants.push_back(n.inputs[1]);
    if (has_bias) consumed_constants.push_back(n.inputs[2]);
  }
  Status run(pthreadpool_t pool) override {
    (avx2_ ? qdwconv_avx2_run : qdwconv_run)(w_, geo_, x_, y_, pool, cpu_pool_flags());
    return Status();
  }
  const char* kind() const override { return avx2_ ? "qdwconv_avx2" : "qdwconv_avx512"; }

 private:
  const int8_t* x_;
  int8_t* y_;
  bool avx2_;
  QDwGeometry geo_{};
  QDwWeights w_;
};

Expected<KernelPtr> make_qdwconv_avx512(const KernelArgs& a) {
  return KernelPtr(new QDwConv(a, false));
}
Expected<KernelPtr> make_qdwconv_avx2(const KernelArgs& a) {
  return KernelPtr(new QDwConv(a, true));
}

bool qdw_applicable(const Graph& g, const Node& n) {
  const Shape& x = g.tensor(n.inputs[0]).shape;
  const Shape& w = g.tensor(n.inputs[1]).shape;
  const NodeAttrs& at = n.attrs;
  for (int64_t d : at.dilations)
    if (d != 1) return false;
  return n.op == OpType::kQConv && at.group == x[1] && w[0] == x[1] && w[1] == 1 && w[2] == w[3] &&
         (w[2] == 3 || w[2] == 5);
}

bool vnni_applicable(const Graph& g, const Node& n) {
  const Shape& w = g.tensor(n.inputs[1]).shape;
  const NodeAttrs& at = n.attrs;
  auto all = [](const std::vector<int64_t>& v, int64_t value) {
    return std::all_of(v.begin(), v.end(), [&](int64_t x) { return x == value; });
  };
  if (n.op != OpType::kQConv || at.group != 1) return false;
  const bool direct =
      w[2] == 1 && w[3] == 1 && all(at.strides, 1) && all(at.pads, 0) && all(at.dilations, 1);
  if (direct && w[1] % 4 == 0) return true;                         // A: the input's rows
  return w[2] * ((w[1] * w[3] + 3) / 4 * 4) <= kQConvVnniMaxDepth;  // patches on the stack
}

// The AVX2 GEMM takes what the VNNI one does except 1x1 convs deeper than its
// buffer holds rows of.
bool avx2_applicable(const Graph& g, const Node& n) {
  const Shape& w = g.tensor(n.inputs[1]).shape;
  return vnni_applicable(g, n) && (w[2] * w[3] > 1 || w[1] <= kQGemmAvx2MaxK);
}

// 3x3 stride-1 undilated dense convs whose depth the int32 sums hold exactly.
bool qwinograd_applicable(const Graph& g, const Node& n) {
  const ConvGeometry q = conv_geometry(g, n);
  return n.attrs.group == 1 && q.kh == 3 && q.kw == 3 && q.sh == 1 && q.sw == 1 && q.dh == 1 &&
         q.dw == 1 && q.c >= 8 && q.c <= kQWinogradAvx2MaxC;
}

// Where F(2x2, 3x3) beat the patch GEMM (docs/int8.md, isa=avx2, 1 and 2 threads):
// every 14x14 and larger output measured 1.2-2.0x; at 7x7 (16 tiles of 49 pixels: 1.7x
// fewer products, not 2.25x) only the deepest (ResNet-50's C = 512: 1.1-1.2x) won, and
// GoogLeNet's C = 160-320 lost (0.84-1.0x).
bool qwinograd_pays(const Graph& g, const Node& n) {
  const ConvGeometry q = conv_geometry(g, n);
  return q.oh * q.ow >= 100 || q.c >= 512;
}

// A QGemm on the own GEMM of the best level this CPU and spec allow, or null (XNNPACK).
// ResNet-50's FC (2048 -> 1000, one row): 0.11-0.12 ms on AMX and VNNI vs 0.18-0.26 on
// XNNPACK qc8.
KernelFactory own_qgemm(const Graph& g, const Node& n, const CpuKernelOptions& options) {
  if (options.gemm == CpuKernelOptions::Gemm::kXnnpack) return nullptr;
  const int64_t k = g.tensor(n.inputs[1]).shape[1];
  if (options.isa >= CpuIsa::kAvx512 && qgemm_vnni_available()) {
    if (options.amx && qgemm_amx_available()) return make_own_qgemm<AmxGemm>;
    return k % 4 == 0 ? make_own_qgemm<VnniGemm> : nullptr;
  }
  // The AVX2 GEMM streams int16 weights: on one row (a batch-1 classifier) XNNPACK's
  // int8 ones were as fast (ResNet-50's FC 0.26 vs 0.28 ms, isa=avx2).
  const int64_t rows = g.tensor(n.inputs[0]).shape[0];
  if (options.isa >= CpuIsa::kAvx2 && qgemm_avx2_available() && k <= kQGemmAvx2MaxK && rows >= 6)
    return make_own_qgemm<Avx2Gemm>;
  return nullptr;
}

}  // namespace

CpuOpSupport qconv_support(const Graph& g, const Node& n, const CpuKernelOptions& options) {
  if (n.inputs.size() < 2 || !multipliers_in_range(g, n)) return {};
  if (CpuOpSupport s = qconv_neon_support(g, n, options); s.factory) return s;
  if (n.op == OpType::kQGemm) {
    const KernelFactory own = own_qgemm(g, n, options);
    return contiguous_kernel(own ? own : make_qgemm);
  }
  const NodeAttrs& at = n.attrs;
  if (at.pads.size() != 0 && at.pads.size() != 4) return {};
  const bool own = options.gemm != CpuKernelOptions::Gemm::kXnnpack;
  const bool vnni =
      own && options.isa >= CpuIsa::kAvx512 && qgemm_vnni_available() && vnni_applicable(g, n);
  // Without VNNI (or at isa=avx2) the exact AVX2 GEMM takes the same convs.
  const bool avx2 = own && !vnni && options.isa >= CpuIsa::kAvx2 && qgemm_avx2_available() &&
                    avx2_applicable(g, n);
  using Winograd = CpuKernelOptions::Winograd;
  const bool winograd = avx2 && options.winograd != Winograd::kOff && qwinograd_applicable(g, n) &&
                        (options.winograd == Winograd::kOn || qwinograd_pays(g, n));
  // AMX tiles (the same convs, 16x more products per instruction) where the CPU has them.
  const bool amx = vnni && options.amx && qgemm_amx_available();
  if (vnni || avx2) {
    CpuOpSupport s = contiguous_kernel(amx        ? make_qconv_amx
                                       : vnni     ? make_qconv_vnni
                                       : winograd ? make_qwinograd_avx2
                                                  : make_qconv_avx2);
    s.adds_residual = true;  // a following QAdd in the epilogue
    return s;
  }
  if (own && qdw_applicable(g, n)) {
    if (options.isa >= CpuIsa::kAvx512 && qdwconv_avx512_available())
      return contiguous_kernel(make_qdwconv_avx512);
    // No AVX-512 (or isa=avx2): the same loop on 8-channel ymm vectors.
    if (options.isa >= CpuIsa::kAvx2 && qdwconv_avx2_available())
      return contiguous_kernel(make_qdwconv_avx2);
  }
  return contiguous_kernel(make_qconv);
}

}  // namespace tandem::cpu
