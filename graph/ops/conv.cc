// Conv: shape inference and MACs (output elements x input channels per group x kernel).
#include "graph/ops/rules.h"

#include <string>

namespace tandem {
namespace {
using namespace rules;

Status infer_conv(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 2, 3, 2, 1));
  TANDEM_RETURN_IF_ERROR(check_rank(c, 0, 4, "input X"));
  TANDEM_RETURN_IF_ERROR(check_rank(c, 1, 4, "weight W"));
  const Shape& x = c.s(0);
  const Shape& w = c.s(1);
  const NodeAttrs& a = c.n.attrs;
  const int64_t g = a.group;
  if (g < 1 || g > kMaxDim) return c.fail("group " + num(g) + " out of range");
  if (x[1] % g != 0)
    return c.fail("input channels " + num(x[1]) + " not divisible by group " + num(g));
  if (w[0] % g != 0)
    return c.fail("output channels " + num(w[0]) + " not divisible by group " + num(g));
  if (w[1] * g != x[1])
    return c.fail("weight " + str(w) + " expects " + num(w[1] * g) + " input channels (group " +
                  num(g) + "), input X " + str(x) + " has " + num(x[1]));
  if (w[2] < 1 || w[3] < 1) return c.fail("weight " + str(w) + " has an empty kernel");
  if (!a.kernel_shape.empty() &&
      (a.kernel_shape.size() != 2 || a.kernel_shape[0] != w[2] || a.kernel_shape[1] != w[3]))
    return c.fail("kernel_shape disagrees with weight " + str(w));
  if (c.in.size() == 3 && c.in[2]) {
    if (c.s(2) != Shape{w[0]})
      return c.fail("bias has shape " + str(c.s(2)) + ", expected " + num(w[0]));
  }
  Window2d win;
  TANDEM_RETURN_IF_ERROR(window2d(a, w[2], w[3], c.what, &win));
  const int64_t oh = conv_output_dim(x[2], win.kh, win.sh, win.dh, win.pad_top, win.pad_bottom);
  const int64_t ow = conv_output_dim(x[3], win.kw, win.sw, win.dw, win.pad_left, win.pad_right);
  if (oh < 1 || ow < 1)
    return c.fail("kernel " + num(w[2]) + "x" + num(w[3]) +
                  " (dilated) is larger than the padded input " + str(x));
  out->push_back({x[0], w[0], oh, ow});
  return Status();
}

int64_t conv_macs(const Graph& g, const Node& n) {
  const Shape& w = g.tensor(n.inputs[1]).shape;  // [M, C/group, kh, kw]
  if (w.size() != 4) return 0;
  return output_elements(g, n, 0) * w[1] * w[2] * w[3];
}

}  // namespace

const OpDef op_defs::Conv{infer_conv, conv_macs};

}  // namespace tandem
