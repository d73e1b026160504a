#include "kernels/opencl/conv_igemm.h"

#include <algorithm>
#include <cstdlib>

namespace tandem::ocl {
namespace {

constexpr int kVW = 16;  // VW in cl/conv_igemm.cl
constexpr int kRB = 8;   // output channels per work-item

struct ConvGeom {
  int N, C, H, W, M, KH, KW, OH, OW, PT, PL, PB, PR, S, DH, DW;
  int Hs() const { return (H + PT + PB + S - 1) / S; }  // one stride phase of the padded input
  int Ws() const { return (W + PL + PR + S - 1) / S; }
  int plane() const { return Hs() * Ws(); }
  int K() const { return C * KH * KW; }
  bool direct() const { return S == 1 && PT + PL + PB + PR == 0; }  // reads x itself
};

// OIHW -> [M / 8][C * KH * KW][8]: the 8 weights of one tap are one vload8.
std::vector<float> reorder_weights(const float* w, const ConvGeom& g) {
  const size_t K = size_t(g.K());
  std::vector<float> r(size_t(g.M) * K);
  for (size_t m = 0; m < size_t(g.M); ++m)
    for (size_t k = 0; k < K; ++k) r[(m / kRB) * K * kRB + k * kRB + m % kRB] = w[m * K + k];
  return r;
}

// Element offset of each tap (c, kh, kw) from the output's wide index.
std::vector<int32_t> tap_offsets(const ConvGeom& g) {
  std::vector<int32_t> off;
  off.reserve(size_t(g.K()));
  for (int c = 0; c < g.C; ++c)
    for (int kh = 0; kh < g.KH; ++kh)
      for (int kw = 0; kw < g.KW; ++kw) {
        const int h = kh * g.DH, w = kw * g.DW;
        const int phase = (c * g.S + h % g.S) * g.S + w % g.S;
        off.push_back(phase * g.plane() + (h / g.S) * g.Ws() + w / g.S);
      }
  return off;
}

Expected<ConvGeom> geometry(OpContext& ctx, const Node& n) {
  const Graph& graph = ctx.graph();
  const Shape& xs = shape_of(ctx, n.inputs[0]);
  const Shape& ws = shape_of(ctx, n.inputs[1]);
  const Shape& ys = shape_of(ctx, n.outputs[0]);
  const NodeAttrs& a = n.attrs;
  auto at = [](const std::vector<int64_t>& v, size_t i, int d) {
    return i < v.size() ? int(v[i]) : d;
  };
  ConvGeom g{dim(xs, 0),           dim(xs, 1),          dim(xs, 2),
             dim(xs, 3),           dim(ws, 0),          dim(ws, 2),
             dim(ws, 3),           dim(ys, 2),          dim(ys, 3),
             at(a.pads, 0, 0),     at(a.pads, 1, 0),    at(a.pads, 2, 0),
             at(a.pads, 3, 0),     at(a.strides, 0, 1), at(a.dilations, 0, 1),
             at(a.dilations, 1, 1)};
  const bool ok =
      xs.size() == 4 && ws.size() == 4 && a.group == 1 && at(a.strides, 1, 1) == g.S &&
      (g.S == 1 || g.S == 2) && g.M % kRB == 0 && graph.tensor(n.inputs[1]).is_constant() &&
      !(n.inputs.size() > 2 && n.inputs[2] >= 0 && !graph.tensor(n.inputs[2]).is_constant()) &&
      g.OH == (g.H + g.PT + g.PB - g.DH * (g.KH - 1) - 1) / g.S + 1 &&
      g.OW == (g.W + g.PL + g.PR - g.DW * (g.KW - 1) - 1) / g.S + 1 &&
      int64_t(g.N) * g.C * g.S * g.S * g.plane() < (int64_t(1) << 30);
  if (!ok) return unsupported("not an implicit-GEMM convolution");
  // opencl:gemm=tiled|clblast keeps 1x1 convolutions on the GEMM they name.
  if (g.direct() && g.KH * g.KW == 1 && ctx.gemm_backend() != "own")
    return unsupported("1x1 convolution on the gemm= backend");
  return g;
}

// Work-items per work-group along dim 0: 1 (no cross-item vectorisation
// needed), or TANDEM_IGEMM_WG=N for measuring (0: the driver picks).
size_t wg_size() {
  const char* e = std::getenv("TANDEM_IGEMM_WG");
  return e ? size_t(std::atoi(e)) : 1;
}

}  // namespace

Expected<Launch> make_igemm_launch(OpContext& ctx, const IgemmArgs& a, const std::string& node) {
  // 8 channels x 32 outputs per work-item, weights as scalar broadcasts; 8 x 16
  // with vload8'd weights measured 30-65 GFLOP/s vs 62-107 on 3x3 layers
  // (PoCL, one core, docs/opencl.md).
  const size_t tiles = (size_t(a.OH) * a.Ws + 2 * kVW - 1) / (2 * kVW);
  // Inputs larger than ~half an L2 (1 MiB): channel blocks first, so the C x 32
  // input window stays hot while the weights stream from L2; smaller inputs:
  // pixels first (one block's weights stay hot, the input stays in L2).
  const char* order = std::getenv("TANDEM_IGEMM_ORDER");  // m or p: for measuring
  const bool mfirst =
      order ? order[0] == 'm'
            : int64_t(a.batch_stride) * int64_t(ctx.element_size()) > (int64_t(1) << 20);
  const size_t mblocks = size_t(a.M / kRB);
  TANDEM_ASSIGN_OR_RETURN(
      Launch l,
      make_launch(ctx, "conv_igemm", mfirst ? "conv_igemm_m8x2_mfirst" : "conv_igemm_m8x2",
                  {mfirst ? mblocks : tiles, mfirst ? tiles : mblocks, size_t(a.N)}, 3,
                  {wg_size(), 1, 1}));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(
      l.kernel.get(), node, a.x.mem, a.x.offset, a.batch_stride, a.limit, a.reach, a.off.mem, a.K,
      a.Ws, a.w.mem, a.w_bstride, a.bias.mem, a.y.mem, a.y.offset, a.M, a.OH, a.OW, a.lo, a.hi));
  return l;
}

Expected<std::unique_ptr<Op>> make_conv_igemm_op(OpContext& ctx, const Node& n) {
  Expected<ConvGeom> geom = geometry(ctx, n);
  if (!geom.ok()) return std::unique_ptr<Op>();
  const ConvGeom& g = *geom;
  const Graph& graph = ctx.graph();
  std::vector<float> bias(size_t(g.M), 0.0f);
  if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
    const float* b = graph.tensor(n.inputs[2]).data->f32();
    bias.assign(b, b + g.M);
  }
  const std::vector<int32_t> off = tap_offsets(g);
  DeviceTensor x, w, b, y, xp, offs;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  TANDEM_ASSIGN_OR_RETURN(
      w, ctx.upload(n.name + ".w8", reorder_weights(graph.tensor(n.inputs[1]).data->f32(), g)));
  TANDEM_ASSIGN_OR_RETURN(b, ctx.upload(n.name + ".b8", bias));
  TANDEM_ASSIGN_OR_RETURN(offs, ctx.upload_ints(n.name + ".taps", off));
  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  const int batch_stride = g.C * g.S * g.S * g.plane();
  int limit = batch_stride;
  if (!g.direct()) {
    // Zeroed once; each run copies only the interior, so the borders stay zero.
    const int slack = 3 * kVW + g.Ws() + 8;
    TANDEM_ASSIGN_OR_RETURN(
        xp, ctx.upload(n.name + ".phases", std::vector<float>(size_t(g.N) * batch_stride + slack)));
    TANDEM_ASSIGN_OR_RETURN(
        Launch l, make_launch(ctx, "conv_igemm", "pad_phases",
                              {size_t(g.W + 15) / 16, size_t(g.H), size_t(g.N) * g.C}, 3));
    TANDEM_RETURN_IF_ERROR(set_kernel_args(l.kernel.get(), n.name, x.mem, x.offset, xp.mem,
                                           xp.offset, g.H, g.W, g.Hs(), g.Ws(), g.PT, g.PL, g.S));
    op->launches.push_back(std::move(l));
    limit += slack;
  } else {
    xp = x;
  }
  IgemmArgs a;
  a.x = xp;
  a.off = offs;
  a.w = w;
  a.bias = b;
  a.y = y;
  a.batch_stride = batch_stride;
  a.limit = limit;
  a.reach = *std::max_element(off.begin(), off.end());
  a.K = g.K();
  a.Ws = g.Ws();
  a.N = g.N;
  a.M = g.M;
  a.OH = g.OH;
  a.OW = g.OW;
  a.lo = n.attrs.activation.min;
  a.hi = n.attrs.activation.max;
  TANDEM_ASSIGN_OR_RETURN(Launch l, make_igemm_launch(ctx, a, n.name));
  op->launches.push_back(std::move(l));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
