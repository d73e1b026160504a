#include "kernels/opencl/conv_winograd.h"

#include <cmath>
#include <cstdlib>

#include "kernels/opencl/conv_igemm.h"

namespace tandem::ocl {
namespace {

struct WinoGeom {
  int C, H, W, M, OH, OW, PT, PL, PB, PR;
  int TH() const { return (OH + 1) / 2; }
  int TW() const { return ((OW + 1) / 2 + 15) / 16 * 16; }  // tile rows padded to 16
  int T() const { return TH() * TW(); }
  int Hs() const { return 2 * TH() + 2; }       // padded input rounded up to whole tiles
  int Ws() const { return 2 * TW() + 2 + 16; }  // + the second vector load's overhang
};

// U[xi] = (G g G^T)[xi] for each (m, c), stored [xi][M / 8][C][8] for the GEMM.
std::vector<float> transform_weights(const float* w, int M, int C) {
  std::vector<float> u(size_t(16) * M * C);
  const float G[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
  for (int m = 0; m < M; ++m)
    for (int c = 0; c < C; ++c) {
      const float* g = w + (size_t(m) * C + c) * 9;
      float gg[4][3];  // G g
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 3; ++j)
          gg[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
          const float v = gg[i][0] * G[j][0] + gg[i][1] * G[j][1] + gg[i][2] * G[j][2];
          const size_t xi = size_t(i * 4 + j);
          u[xi * M * C + (size_t(m) / 8) * C * 8 + size_t(c) * 8 + m % 8] = v;
        }
    }
  return u;
}

bool eligible(const OpContext& ctx, const Node& n, WinoGeom* g) {
  const Graph& graph = ctx.graph();
  const Shape& xs = shape_of(ctx, n.inputs[0]);
  const Shape& ws = shape_of(ctx, n.inputs[1]);
  const Shape& ys = shape_of(ctx, n.outputs[0]);
  const NodeAttrs& a = n.attrs;
  for (int64_t s : a.strides)
    if (s != 1) return false;
  for (int64_t d : a.dilations)
    if (d != 1) return false;
  if (xs.size() != 4 || ws.size() != 4 || dim(xs, 0) != 1 || dim(ws, 2) != 3 || dim(ws, 3) != 3 ||
      a.group != 1 || !graph.tensor(n.inputs[1]).is_constant())
    return false;
  if (n.inputs.size() > 2 && n.inputs[2] >= 0 && !graph.tensor(n.inputs[2]).is_constant())
    return false;
  auto pad = [&](size_t i) { return i < a.pads.size() ? int(a.pads[i]) : 0; };
  *g = WinoGeom{dim(xs, 1), dim(xs, 2), dim(xs, 3), dim(ws, 0), dim(ys, 2),
                dim(ys, 3), pad(0),     pad(1),     pad(2),     pad(3)};
  // Winograd pays where the GEMM is long: measured from 128 channels (docs/opencl.md).
  static const int min_channels = [] {
    const char* e = std::getenv("TANDEM_OPENCL_WINOGRAD_MIN_C");
    return e ? std::atoi(e) : 128;
  }();
  // and on 28..56-wide outputs: narrower rows waste most of the 16-tile chunks,
  // wider planes make V and P too large for the caches.
  const bool width_pays = (g->OW >= 28 && g->OW <= 56) || min_channels < 128;
  return width_pays && g->M % 8 == 0 && g->C >= min_channels && g->M >= min_channels &&
         int64_t(16) * std::max(g->C, g->M) * g->T() < (int64_t(1) << 30);
}

}  // namespace

Expected<std::unique_ptr<Op>> make_conv_winograd_op(OpContext& ctx, const Node& n) {
  WinoGeom g{};
  if (!eligible(ctx, n, &g)) return std::unique_ptr<Op>();
  const Graph& graph = ctx.graph();
  std::vector<float> bias(size_t(g.M), 0.0f);
  if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
    const float* b = graph.tensor(n.inputs[2]).data->f32();
    bias.assign(b, b + g.M);
  }
  const int T = g.T(), slack = 64;
  std::vector<int32_t> off(size_t(g.C));
  for (int c = 0; c < g.C; ++c) off[size_t(c)] = c * T;
  DeviceTensor x, y, xp, v, p, u, b, zero, offs;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  TANDEM_ASSIGN_OR_RETURN(
      xp, ctx.upload(n.name + ".padded", std::vector<float>(size_t(g.C) * g.Hs() * g.Ws())));
  TANDEM_ASSIGN_OR_RETURN(
      v, ctx.upload(n.name + ".V", std::vector<float>(16 * size_t(g.C) * T + slack)));
  TANDEM_ASSIGN_OR_RETURN(p, ctx.upload(n.name + ".P", std::vector<float>(16 * size_t(g.M) * T)));
  TANDEM_ASSIGN_OR_RETURN(
      u, ctx.upload(n.name + ".U",
                    transform_weights(graph.tensor(n.inputs[1]).data->f32(), g.M, g.C)));
  TANDEM_ASSIGN_OR_RETURN(b, ctx.upload(n.name + ".bias", bias));
  TANDEM_ASSIGN_OR_RETURN(zero, ctx.upload(n.name + ".zero", std::vector<float>(size_t(g.M))));
  TANDEM_ASSIGN_OR_RETURN(offs, ctx.upload_ints(n.name + ".taps", off));
  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  TANDEM_ASSIGN_OR_RETURN(Launch pad,
                          make_launch(ctx, "conv_igemm", "pad_phases",
                                      {size_t(g.W + 15) / 16, size_t(g.H), size_t(g.C)}, 3));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(pad.kernel.get(), n.name, x.mem, x.offset, xp.mem,
                                         xp.offset, g.H, g.W, g.Hs(), g.Ws(), g.PT, g.PL, 1));
  op->launches.push_back(std::move(pad));
  const std::array<size_t, 3> in_grid{size_t(g.TW() / 16), size_t(g.TH()), size_t(g.C)};
  TANDEM_ASSIGN_OR_RETURN(Launch in,
                          make_launch(ctx, "winograd", "wino_f23_input_v16", in_grid, 3));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(in.kernel.get(), n.name, xp.mem, xp.offset, g.Hs(), g.Ws(),
                                         g.TH(), g.TW(), g.C, v.mem));
  op->launches.push_back(std::move(in));
  IgemmArgs a;
  a.x = v;
  a.off = offs;
  a.w = u;
  a.bias = zero;
  a.y = p;
  a.batch_stride = g.C * T;
  a.limit = g.C * T + slack;
  a.reach = (g.C - 1) * T;
  a.K = g.C;
  a.Ws = T;
  a.w_bstride = g.M * g.C;
  a.N = 16;
  a.M = g.M;
  a.OH = 1;
  a.OW = T;
  a.lo = -INFINITY;
  a.hi = INFINITY;
  TANDEM_ASSIGN_OR_RETURN(Launch gemm, make_igemm_launch(ctx, a, n.name));
  op->launches.push_back(std::move(gemm));
  const std::array<size_t, 3> out_grid{size_t(g.TW() / 16), size_t(g.TH()), size_t(g.M)};
  TANDEM_ASSIGN_OR_RETURN(Launch out,
                          make_launch(ctx, "winograd", "wino_f23_output_v16", out_grid, 3));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(out.kernel.get(), n.name, p.mem, g.M, g.TH(), g.TW(),
                                         b.mem, y.mem, y.offset, g.OH, g.OW, n.attrs.activation.min,
                                         n.attrs.activation.max));
  op->launches.push_back(std::move(out));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
