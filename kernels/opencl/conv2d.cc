// Conv: 1x1 stride-1 unpadded -> GEMM; depthwise 3x3 -> its own kernel; else direct.
#include "kernels/opencl/conv_igemm.h"
#include "kernels/opencl/conv_winograd.h"
#include "kernels/opencl/gemm.h"

#include <cstdlib>

namespace tandem::ocl {

namespace {

// GEMM for 1x1, depthwise3x3.cl, or conv2d.cl.
Expected<std::unique_ptr<Op>> make_conv2d_direct_op(OpContext& ctx, const Node& n) {
  const Shape& xs = shape_of(ctx, n.inputs[0]);
  const Shape& ws = shape_of(ctx, n.inputs[1]);
  const Shape& ys = shape_of(ctx, n.outputs[0]);
  if (xs.size() != 4 || ws.size() != 4 || ys.size() != 4) return std::unique_ptr<Op>();
  const NodeAttrs& at = n.attrs;
  auto attr = [](const std::vector<int64_t>& v, size_t i, int dflt) {
    return i < v.size() ? static_cast<int>(v[i]) : dflt;
  };
  const int N = dim(xs, 0), C = dim(xs, 1), H = dim(xs, 2), W = dim(xs, 3);
  const int M = dim(ws, 0), KH = dim(ws, 2), KW = dim(ws, 3);
  const int OH = dim(ys, 2), OW = dim(ys, 3);
  const int SH = attr(at.strides, 0, 1), SW = attr(at.strides, 1, 1);
  const int DH = attr(at.dilations, 0, 1), DW = attr(at.dilations, 1, 1);
  const int PT = attr(at.pads, 0, 0), PL = attr(at.pads, 1, 0);
  const int PB = attr(at.pads, 2, 0), PR = attr(at.pads, 3, 0);
  const int groups = static_cast<int>(at.group);
  const float lo = at.activation.min, hi = at.activation.max;

  DeviceTensor x, w, b, y;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(w, ctx.tensor(n.inputs[1]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  const bool has_bias = n.inputs.size() > 2 && n.inputs[2] >= 0;
  if (has_bias) {
    TANDEM_ASSIGN_OR_RETURN(b, ctx.tensor(n.inputs[2]));
  }
  cl_mem b_mem = has_bias ? b.mem : w.mem;

  if (KH == 1 && KW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0 && PB == 0 && PR == 0 &&
      groups == 1) {
    // Y[n] (M x HW) = W (M x C) * X[n] (C x HW), bias per row.
    GemmArgs g;
    g.M = M;
    g.N = H * W;
    g.K = C;
    g.batch = N;
    g.A = w;
    g.a_sm = C;
    g.a_sk = 1;
    g.B = x;
    g.b_sk = H * W;
    g.b_sn = 1;
    g.b_sb = C * H * W;
    if (has_bias) {
      g.C = b;
      g.c_sm = 1;
    }
    g.Y = y;
    g.y_sm = H * W;
    g.y_sb = M * H * W;
    g.lo = lo;
    g.hi = hi;
    return make_gemm(ctx, g, n.name);
  }

  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  const std::array<size_t, 3> global{size_t(OH) * OW, size_t(M), size_t(N)};
  if (KH == 3 && KW == 3 && groups == C && M == C) {
    TANDEM_ASSIGN_OR_RETURN(Launch l, make_launch(ctx, "depthwise3x3", "depthwise3x3", global, 3));
    TANDEM_RETURN_IF_ERROR(set_kernel_args(l.kernel.get(), n.name, x.mem, x.offset, w.mem, w.offset,
                                           b_mem, b.offset, has_bias ? 1 : 0, y.mem, y.offset, C, H,
                                           W, OH, OW, SH, SW, DH, DW, PT, PL, lo, hi));
    op->launches.push_back(std::move(l));
    return std::unique_ptr<Op>(std::move(op));
  }
  // Blocks of 8 output channels when they stay inside one group.
  const bool blocked = (M / groups) % 8 == 0;
  const std::array<size_t, 3> blocked_global{size_t(OH) * OW, size_t(M / 8), size_t(N)};
  TANDEM_ASSIGN_OR_RETURN(Launch l, make_launch(ctx, "conv2d", blocked ? "conv2d_m8" : "conv2d",
                                                blocked ? blocked_global : global, 3));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(
      l.kernel.get(), n.name, x.mem, x.offset, w.mem, w.offset, b_mem, b.offset, has_bias ? 1 : 0,
      y.mem, y.offset, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, groups, lo, hi));
  op->launches.push_back(std::move(l));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace

Expected<std::unique_ptr<Op>> make_conv2d_op(OpContext& ctx, const Node& n) {
  // Dense stride-1/2 convolutions: vectorised implicit GEMM (TANDEM_OPENCL_CONV=direct skips it).
  static const bool igemm = [] {
    const char* e = std::getenv("TANDEM_OPENCL_CONV");
    return !(e && std::string(e) == "direct");
  }();
  if (igemm) {
    TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Op> wino, make_conv_winograd_op(ctx, n));
    if (wino) return wino;
    TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Op> fast, make_conv_igemm_op(ctx, n));
    if (fast) return fast;
  }
  return make_conv2d_direct_op(ctx, n);
}

}  // namespace tandem::ocl
