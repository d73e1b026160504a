#include "kernels/opencl/conv_igemm.h"

namespace tandem::ocl {
namespace {

constexpr int kVW = 16;  // VW in cl/conv_igemm.cl
constexpr int kRB = 8;   // output channels per work-item

struct ConvGeom {
  int N, C, H, W, M, KH, KW, OH, OW, PT, PL, PB, PR;
  int Hp() const { return H + PT + PB; }
  int Wp() const { return W + PL + PR; }
  bool padded() const { return PT + PL + PB + PR > 0; }
};

// OIHW -> [M / 8][C * KH * KW][8]: the 8 weights of one tap are one vload8.
std::vector<float> reorder_weights(const float* w, const ConvGeom& g) {
  const size_t K = size_t(g.C) * g.KH * g.KW;
  std::vector<float> r(size_t(g.M) * K);
  for (size_t m = 0; m < size_t(g.M); ++m)
    for (size_t k = 0; k < K; ++k) r[(m / kRB) * K * kRB + k * kRB + m % kRB] = w[m * K + k];
  return r;
}

bool eligible(const Graph& graph, const Node& n) {
  const NodeAttrs& a = n.attrs;
  for (int64_t s : a.strides)
    if (s != 1) return false;
  for (int64_t d : a.dilations)
    if (d != 1) return false;
  if (a.group != 1 || !graph.tensor(n.inputs[1]).is_constant()) return false;
  if (n.inputs.size() > 2 && n.inputs[2] >= 0 && !graph.tensor(n.inputs[2]).is_constant())
    return false;
  return true;
}

}  // namespace

Expected<std::unique_ptr<Op>> make_conv_igemm_op(OpContext& ctx, const Node& n) {
  const Graph& graph = ctx.graph();
  const Shape& xs = shape_of(ctx, n.inputs[0]);
  const Shape& ws = shape_of(ctx, n.inputs[1]);
  const Shape& ys = shape_of(ctx, n.outputs[0]);
  if (xs.size() != 4 || ws.size() != 4 || !eligible(graph, n)) return std::unique_ptr<Op>();
  auto pad = [&](size_t i) { return i < n.attrs.pads.size() ? int(n.attrs.pads[i]) : 0; };
  const ConvGeom g{dim(xs, 0), dim(xs, 1), dim(xs, 2), dim(xs, 3), dim(ws, 0),
                   dim(ws, 2), dim(ws, 3), dim(ys, 2), dim(ys, 3), pad(0),
                   pad(1),     pad(2),     pad(3)};
  if (g.M % kRB != 0 || g.OH != g.Hp() - g.KH + 1 || g.OW != g.Wp() - g.KW + 1)
    return std::unique_ptr<Op>();
  std::vector<float> bias(size_t(g.M), 0.0f);
  if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
    const float* b = graph.tensor(n.inputs[2]).data->f32();
    bias.assign(b, b + g.M);
  }
  DeviceTensor x, w, b, y, xp;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  TANDEM_ASSIGN_OR_RETURN(
      w, ctx.upload(n.name + ".w8", reorder_weights(graph.tensor(n.inputs[1]).data->f32(), g)));
  TANDEM_ASSIGN_OR_RETURN(b, ctx.upload(n.name + ".b8", bias));
  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  const int plane = g.Hp() * g.Wp();
  int limit = plane;
  if (g.padded()) {
    // Zero once; each run copies only the interior, so the borders stay zero.
    const int slack = kVW + g.KW;
    TANDEM_ASSIGN_OR_RETURN(
        xp, ctx.upload(n.name + ".padded", std::vector<float>(size_t(g.N) * g.C * plane + slack)));
    TANDEM_ASSIGN_OR_RETURN(Launch l, make_launch(ctx, "conv_igemm", "pad_planes",
                                                  {size_t(g.H) * g.W, size_t(g.N) * g.C, 1}, 2));
    TANDEM_RETURN_IF_ERROR(set_kernel_args(l.kernel.get(), n.name, x.mem, x.offset, xp.mem,
                                           xp.offset, g.H, g.W, g.Hp(), g.Wp(), g.PT, g.PL));
    op->launches.push_back(std::move(l));
    limit = plane + slack;
  } else {
    xp = x;
  }
  const size_t tiles = (size_t(g.OH) * g.Wp() + kVW - 1) / kVW;
  TANDEM_ASSIGN_OR_RETURN(Launch l,
                          make_launch(ctx, "conv_igemm", "conv_igemm_m8",
                                      {tiles, size_t(g.M / kRB), size_t(g.N)}, 3, {1, 1, 1}));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(
      l.kernel.get(), n.name, xp.mem, xp.offset, plane, limit, g.Wp(), w.mem, b.mem, y.mem,
      y.offset, g.C, g.KH, g.KW, g.M, g.OH, g.OW, n.attrs.activation.min, n.attrs.activation.max));
  op->launches.push_back(std::move(l));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
