// Pad with ONNX's 2*rank pads (begins then ends; negative pads crop) in
// constant, reflect or edge mode.
#include "kernels/reference/reference_ops.h"

namespace tandem::ref {
namespace {

// Input index that output index o of a dim reads, or -1 for the constant.
int64_t pad_source(int64_t o, int64_t begin, int64_t dim, PadMode mode) {
  int64_t i = o - begin;
  if (i >= 0 && i < dim) return i;
  switch (mode) {
    case PadMode::kConstant:
      return -1;
    case PadMode::kEdge:
      return i < 0 ? 0 : dim - 1;
    case PadMode::kReflect:
      // Mirror without repeating the edge; shape inference keeps pads < dim.
      if (dim == 1) return 0;
      if (i < 0) i = -i;
      if (i >= dim) i = 2 * (dim - 1) - i;
      return i;
  }
  return -1;
}

}  // namespace

TANDEM_REF_KERNEL(Pad) {
  const Shape& xs = in_shape(g, n, 0);
  const Shape& ys = out_shape(g, n);
  const size_t rank = xs.size();
  const PadMode mode = n.attrs.pad_mode;
  const float value = n.attrs.pad_value;
  const float* x = in[0];
  float* y = out[0];
  if (rank == 0) {
    y[0] = x[0];
    return Status();
  }
  if (elements(ys) == 0) return Status();
  const std::vector<int64_t> sx = row_major_strides(xs);
  const int64_t inner = ys.back();
  const int64_t begin_inner = n.attrs.pads[rank - 1];
  std::vector<int64_t> idx(rank - 1, 0);
  // Walk output rows; a row whose outer index maps to no input is constant.
  for (;;) {
    int64_t off = 0;
    bool inside = true;
    for (size_t d = 0; d + 1 < rank; ++d) {
      const int64_t src = pad_source(idx[d], n.attrs.pads[d], xs[d], mode);
      if (src < 0) {
        inside = false;
        break;
      }
      off += src * sx[d];
    }
    for (int64_t o = 0; o < inner; ++o) {
      const int64_t src = inside ? pad_source(o, begin_inner, xs[rank - 1], mode) : -1;
      y[o] = src < 0 ? value : x[off + src];
    }
    y += inner;
    size_t d = rank - 1;
    for (;;) {
      if (d == 0) return Status();
      --d;
      if (++idx[d] < ys[d]) break;
      idx[d] = 0;
    }
  }
}

}  // namespace tandem::ref
