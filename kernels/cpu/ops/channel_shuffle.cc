// Channel shuffle (ShuffleNet's Reshape -> Transpose -> Reshape, recognised by the
// compiler) on XNNPACK's channel shuffle: NHWC pixels are rows of G groups of C/G
// channels, which it interleaves, with the pixel strides of both sides.
#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {

bool is_channel_shuffle(const Graph& g, const Node& r1, const Node& tr, const Node& r2) {
  if (r1.op != OpType::kReshape || tr.op != OpType::kTranspose || r2.op != OpType::kReshape)
    return false;
  if (tr.inputs.empty() || tr.inputs[0] != r1.outputs[0] || r2.inputs.empty() ||
      r2.inputs[0] != tr.outputs[0])
    return false;
  const Shape& x = g.tensor(r1.inputs[0]).shape;
  const Shape& split = g.tensor(r1.outputs[0]).shape;
  const Shape& y = g.tensor(r2.outputs[0]).shape;
  if (x.size() != 4 || split.size() != 5 || y != x) return false;
  if (tr.attrs.perm != std::vector<int64_t>{0, 2, 1, 3, 4}) return false;
  return split[0] == x[0] && split[1] * split[2] == x[1] && split[3] == x[2] && split[4] == x[3] &&
         split[1] > 1 && split[2] > 0;
}

Expected<KernelPtr> make_channel_shuffle(const KernelArgs& a) {
  const Node& n = *a.node;
  if (a.absorbed.empty() || a.absorbed[0].inputs.empty())
    return internal_error("channel shuffle '" + n.name + "' is missing its first Reshape");
  const CpuTensor& x = a.absorbed[0].inputs[0];  // the first Reshape's input (NHWC)
  const CpuTensor& y = a.outputs[0];
  // The Reshape's input is the transposed [N, C/G, G, H, W]: G groups of C/G.
  const Shape& t = a.g->tensor(n.inputs[0]).shape;
  if (!x.nhwc || !y.nhwc || t.size() != 5)
    return internal_error("channel shuffle '" + n.name + "' needs NHWC data");
  const size_t groups = size_t(t[2]), group_channels = size_t(t[1]);
  xnn_operator_t op = nullptr;
  enum xnn_status st = xnn_create_channel_shuffle_nc_x32(
      groups, group_channels, size_t(x.pixel_stride), size_t(y.pixel_stride), cpu_xnn_flags(), &op);
  if (st != xnn_status_success) return xnn_error(st, "create channel shuffle", n);
  XnnOperator owned(op);
  st = xnn_setup_channel_shuffle_nc_x32(op, size_t(x.n() * x.h() * x.w()), x.data, y.data, a.pool);
  if (st != xnn_status_success) return xnn_error(st, "setup channel shuffle", n);
  return KernelPtr(new XnnKernel(std::move(owned), n.name));
}

}  // namespace tandem::cpu
