// MaxPool, AveragePool: 2-D windows over NCHW.
#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

Status infer_pool(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  TANDEM_RETURN_IF_ERROR(check_rank(c, 0, 4, "input X"));
  const NodeAttrs& a = c.n.attrs;
  if (a.kernel_shape.size() != 2)
    return c.fail("kernel_shape has " + std::to_string(a.kernel_shape.size()) +
                  " entries, expected 2");
  for (int64_t k : a.kernel_shape)
    if (k < 1 || k > kMaxDim) return c.fail("kernel_shape value " + num(k) + " out of range");
  Window2d w;
  TANDEM_RETURN_IF_ERROR(window2d(a, a.kernel_shape[0], a.kernel_shape[1], c.what, &w));
  // A pad as large as the window would give windows that see only padding.
  if (w.pad_top >= w.kh || w.pad_bottom >= w.kh || w.pad_left >= w.kw || w.pad_right >= w.kw)
    return c.fail("pads must be smaller than the kernel");
  const Shape& x = c.s(0);
  const int64_t oh = pool_output_dim(x[2], w.kh, w.sh, w.dh, w.pad_top, w.pad_bottom, a.ceil_mode);
  const int64_t ow = pool_output_dim(x[3], w.kw, w.sw, w.dw, w.pad_left, w.pad_right, a.ceil_mode);
  if (oh < 1 || ow < 1)
    return c.fail("kernel " + num(w.kh) + "x" + num(w.kw) + " is larger than the padded input " +
                  str(x));
  out->push_back({x[0], x[1], oh, ow});
  return Status();
}

}  // namespace

const OpDef op_defs::MaxPool{infer_pool, no_macs};
const OpDef op_defs::AveragePool{infer_pool, no_macs};

}  // namespace tandem
