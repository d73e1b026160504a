// Internal to kernels/reference/: one function per op (in its own file or its
// family's: unary.cc, pool.cc, ...) and the small helpers they share. All
// kernels take the ReferenceKernel signature and assume infer_shapes()
// succeeded on the graph.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "graph/graph.h"
#include "graph/shape_util.h"

namespace tandem::ref {

#define TANDEM_REF_KERNEL(fn) \
  Status fn(const Graph& g, const Node& n, const float* const* in, float* const* out)

// One kernel per op in ops.def, named after the op (ref::Conv, ref::Erf, ...)
// and defined in kernels/reference/<file>.cc; a missing one is a link error.
#define TANDEM_OP(name, id) TANDEM_REF_KERNEL(name);
#include "graph/ops.def"
#undef TANDEM_OP

inline const Shape& in_shape(const Graph& g, const Node& n, size_t i) {
  return g.tensor(n.inputs[i]).shape;
}
inline const Shape& out_shape(const Graph& g, const Node& n, size_t i = 0) {
  return g.tensor(n.outputs[i]).shape;
}
inline int64_t elements(const Shape& s) {
  return shape_elements(s);
}
inline std::string node_label(const Node& n) {
  return "node '" + n.name + "'";
}

// The optional input i, or nullptr when the node does not have it.
inline const float* optional_input(const Node& n, const float* const* in, size_t i) {
  return n.inputs.size() > i && n.inputs[i] >= 0 ? in[i] : nullptr;
}

// Clamps y[0, count) to the fused activation's range.
inline void apply_activation(float* y, int64_t count, const FusedActivation& act) {
  if (!act.active()) return;
  const float lo = act.min, hi = act.max;
  for (int64_t i = 0; i < count; ++i) y[i] = std::min(std::max(y[i], lo), hi);
}

// Visits every row (all dims but the last) of `shape` in row-major order and
// calls row(offset_a, offset_b), offsets built from strides_a/strides_b over
// the leading dims. Nothing is visited when shape has a zero dim; a scalar is
// one row.
template <typename F>
void for_each_row(const Shape& shape, const std::vector<int64_t>& strides_a,
                  const std::vector<int64_t>& strides_b, F row) {
  for (int64_t d : shape)
    if (d == 0) return;
  if (shape.size() <= 1) {
    row(int64_t{0}, int64_t{0});
    return;
  }
  const size_t outer = shape.size() - 1;
  std::vector<int64_t> idx(outer, 0);
  int64_t oa = 0, ob = 0;
  for (;;) {
    row(oa, ob);
    size_t d = outer;
    for (;;) {
      if (d == 0) return;
      --d;
      oa += strides_a[d];
      ob += strides_b[d];
      if (++idx[d] < shape[d]) break;
      oa -= strides_a[d] * shape[d];
      ob -= strides_b[d] * shape[d];
      idx[d] = 0;
    }
  }
}

}  // namespace tandem::ref
