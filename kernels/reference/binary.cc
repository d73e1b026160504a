// Add, Sub, Mul, Div, Pow with numpy broadcasting; Add honours the fused activation.
// Safe in place when the output aliases an input of the output's shape.
#include "kernels/reference/elementwise_math.h"
#include "kernels/reference/reference_ops.h"

namespace tandem::ref {
namespace {

template <typename F>
void broadcast_loop(const Shape& as, const Shape& bs, const Shape& ys, const float* a,
                    const float* b, float* y, F f) {
  const int64_t count = elements(ys);
  if (as == ys && bs == ys) {
    for (int64_t i = 0; i < count; ++i) y[i] = f(a[i], b[i]);
    return;
  }
  if (as == ys && elements(bs) == 1) {
    const float bv = b[0];
    for (int64_t i = 0; i < count; ++i) y[i] = f(a[i], bv);
    return;
  }
  if (bs == ys && elements(as) == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < count; ++i) y[i] = f(av, b[i]);
    return;
  }
  const std::vector<int64_t> sa = broadcast_strides(as, ys);
  const std::vector<int64_t> sb = broadcast_strides(bs, ys);
  const int64_t inner = ys.empty() ? 1 : ys.back();
  const int64_t ia = ys.empty() ? 0 : sa.back();
  const int64_t ib = ys.empty() ? 0 : sb.back();
  float* row_out = y;
  for_each_row(ys, sa, sb, [&](int64_t oa, int64_t ob) {
    const float* ra = a + oa;
    const float* rb = b + ob;
    for (int64_t i = 0; i < inner; ++i) row_out[i] = f(ra[i * ia], rb[i * ib]);
    row_out += inner;
  });
}

template <typename F>
Status binary(const Graph& g, const Node& n, const float* const* in, float* const* out, F f) {
  broadcast_loop(in_shape(g, n, 0), in_shape(g, n, 1), out_shape(g, n), in[0], in[1], out[0], f);
  return Status();
}

}  // namespace

TANDEM_REF_KERNEL(Add) {
  TANDEM_RETURN_IF_ERROR(binary(g, n, in, out, [](float a, float b) { return a + b; }));
  apply_activation(out[0], elements(out_shape(g, n)), n.attrs.activation);
  return Status();
}

TANDEM_REF_KERNEL(Sub) {
  return binary(g, n, in, out, [](float a, float b) { return a - b; });
}

TANDEM_REF_KERNEL(Mul) {
  return binary(g, n, in, out, [](float a, float b) { return a * b; });
}

TANDEM_REF_KERNEL(Div) {
  return binary(g, n, in, out, [](float a, float b) { return a / b; });
}

TANDEM_REF_KERNEL(Pow) {
  return binary(g, n, in, out, pow_value);
}

}  // namespace tandem::ref
