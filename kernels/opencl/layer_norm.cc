// LayerNormalization over consecutive axes of a tensor viewed as [outer, norm,
// inner]: one work item per (outer, inner) slice (the layout softmax.cl uses).
// Scale and bias are read from the range's constants; an absent bias is zeros.
#include "kernels/opencl/op.h"

namespace tandem::ocl {

Expected<std::unique_ptr<Op>> make_layer_norm_op(OpContext& ctx, const Node& n) {
  const Graph& g = ctx.graph();
  const Shape& xs = shape_of(ctx, n.inputs[0]);
  const std::vector<int64_t>& axes = n.attrs.axes;
  if (axes.empty() || shape_elements(xs) > INT32_MAX) return std::unique_ptr<Op>();
  int64_t outer = 1, norm = 1, inner = 1;
  for (size_t d = 0; d < xs.size(); ++d) {
    const int64_t ad = static_cast<int64_t>(d);
    int64_t& part = ad < axes.front() ? outer : ad <= axes.back() ? norm : inner;
    part *= xs[d];
  }
  const bool has_bias = n.inputs.size() > 2 && n.inputs[2] >= 0;
  if (!g.tensor(n.inputs[1]).is_constant() || (has_bias && !g.tensor(n.inputs[2]).is_constant()))
    return std::unique_ptr<Op>();
  DeviceTensor x, y, scale, bias;
  TANDEM_ASSIGN_OR_RETURN(x, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(y, ctx.tensor(n.outputs[0]));
  TANDEM_ASSIGN_OR_RETURN(scale, ctx.tensor(n.inputs[1]));
  if (has_bias) {
    TANDEM_ASSIGN_OR_RETURN(bias, ctx.tensor(n.inputs[2]));
  } else {
    TANDEM_ASSIGN_OR_RETURN(bias, ctx.upload(n.name + ".bias", std::vector<float>(size_t(norm))));
  }
  auto op = std::make_unique<LaunchOp>();
  op->node_name = n.name;
  TANDEM_ASSIGN_OR_RETURN(
      Launch l, make_launch(ctx, "layer_norm", "layer_norm", {size_t(outer * inner), 1, 1}, 1));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(l.kernel.get(), n.name, x.mem, x.offset, y.mem, y.offset,
                                         int(outer), int(norm), int(inner), scale.mem, scale.offset,
                                         bias.mem, bias.offset, n.attrs.epsilon));
  op->launches.push_back(std::move(l));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace tandem::ocl
