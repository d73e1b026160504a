// BatchNormalization left unfolded (no conv before it): constant statistics are
// folded on the host into one scale and shift per channel.
#include <cmath>

#include "kernels/opencl/op.h"

namespace tandem::ocl {

Expected<std::unique_ptr<Op>> make_batchnorm_op(OpContext& ctx, const Node& n) {
  const Graph& g = ctx.graph();
  if (n.inputs.size() < 5) return std::unique_ptr<Op>();
  for (size_t i = 1; i < 5; ++i)
    if (n.inputs[i] < 0 || !g.tensor(n.inputs[i]).is_constant()) return std::unique_ptr<Op>();
  const Shape& xs = shape_of(ctx, n.inputs[0]);
  if (xs.size() < 2) return std::unique_ptr<Op>();
  const int C = static_cast<int>(xs[1]);
  const float* gamma = g.tensor(n.inputs[1]).data->f32();
  const float* beta = g.tensor(n.inputs[2]).data->f32();
  const float* mean = g.tensor(n.inputs[3]).data->f32();
  const float* var = g.tensor(n.inputs[4]).data->f32();
  std::vector<float> scale(static_cast<size_t>(C)), shift(static_cast<size_t>(C));
  for (size_t c = 0; c < size_t(C); ++c) {
    scale[c] = gamma[c] / std::sqrt(var[c] + n.attrs.epsilon);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  DeviceTensor x, y, s, t;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  TANDEM_ASSIGN_OR_RETURN(s, ctx.upload(n.name + ".scale", scale));
  TANDEM_ASSIGN_OR_RETURN(t, ctx.upload(n.name + ".shift", shift));
  const int total = static_cast<int>(shape_elements(xs));
  const int inner = total / (dim(xs, 0) * C);
  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  TANDEM_ASSIGN_OR_RETURN(Launch l,
                          make_launch(ctx, "unary", "channel_affine", {size_t(total), 1, 1}, 1));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(l.kernel.get(), n.name, x.mem, x.offset, y.mem, y.offset,
                                         total, inner, C, s.mem, s.offset, t.mem, t.offset));
  op->launches.push_back(std::move(l));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
