// ReduceMean and ReduceSum over attrs.axes (all axes when empty), accumulated in double.
#include "kernels/reference/reference_ops.h"

namespace tandem::ref {

namespace {

// Sum (mean: divided by the reduced count) over the node's axes.
Status reduce(const Graph& g, const Node& n, const float* const* in, float* const* out, bool mean) {
  const Shape& xs = in_shape(g, n, 0);
  const int64_t rank = static_cast<int64_t>(xs.size());
  std::vector<bool> reduce(xs.size(), n.attrs.axes.empty());
  for (int64_t axis : n.attrs.axes) {
    int64_t ax = 0;
    if (!normalize_axis(axis, rank, &ax))
      return invalid_model(node_label(n) + ": reduction axis out of range");
    reduce[static_cast<size_t>(ax)] = true;
  }
  // The output laid out with reduced dims kept as 1 (keepdims only renames).
  Shape kept = xs;
  int64_t reduced = 1;
  for (size_t i = 0; i < xs.size(); ++i)
    if (reduce[i]) {
      reduced *= xs[i];
      kept[i] = 1;
    }
  const int64_t out_count = elements(kept);
  const float* x = in[0];
  float* y = out[0];
  if (elements(xs) == 0 || reduced == 0) return Status();

  // Fast path: reduced axes form a suffix, so each output averages a block.
  size_t first_reduced = xs.size();
  while (first_reduced > 0 && reduce[first_reduced - 1]) --first_reduced;
  bool suffix = true;
  for (size_t i = 0; i < first_reduced; ++i) suffix = suffix && !reduce[i];
  if (suffix) {
    for (int64_t o = 0; o < out_count; ++o) {
      double sum = 0.0;
      for (int64_t i = 0; i < reduced; ++i) sum += x[o * reduced + i];
      y[o] = static_cast<float>(mean ? sum / static_cast<double>(reduced) : sum);
    }
    return Status();
  }
  std::vector<double> acc(static_cast<size_t>(out_count), 0.0);
  const std::vector<int64_t> sx = row_major_strides(xs);
  const std::vector<int64_t> sy = broadcast_strides(kept, xs);
  const int64_t inner = xs.empty() ? 1 : xs.back();
  const int64_t iy = xs.empty() ? 0 : sy.back();
  for_each_row(xs, sx, sy, [&](int64_t ox, int64_t oy) {
    for (int64_t i = 0; i < inner; ++i) acc[static_cast<size_t>(oy + i * iy)] += x[ox + i];
  });
  for (int64_t o = 0; o < out_count; ++o) {
    const double sum = acc[static_cast<size_t>(o)];
    y[o] = static_cast<float>(mean ? sum / static_cast<double>(reduced) : sum);
  }
  return Status();
}

}  // namespace

TANDEM_REF_KERNEL(ReduceMean) {
  return reduce(g, n, in, out, /*mean=*/true);
}

TANDEM_REF_KERNEL(ReduceSum) {
  return reduce(g, n, in, out, /*mean=*/false);
}

}  // namespace tandem::ref
