// Shape arithmetic shared by shape inference and the kernels, so that both
// resolve defaults, negative axes and clamped slice bounds the same way.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/node.h"
#include "graph/status.h"
#include "graph/tensor.h"

namespace tandem {

// Largest dim and attribute magnitude accepted (2^31): anything larger is
// treated as a corrupt model, which keeps all products below int64 overflow.
constexpr int64_t kMaxDim = int64_t{1} << 31;
// Largest element count of one tensor (2^40 floats = 4 TiB).
constexpr int64_t kMaxElements = int64_t{1} << 40;

// Maps axis in [-rank, rank) to [0, rank); false when out of range.
bool normalize_axis(int64_t axis, int64_t rank, int64_t* out);

// Numpy (multidirectional) broadcast of two shapes; false when incompatible.
bool broadcast_shapes(const Shape& a, const Shape& b, Shape* out);

// Product of shape[first, last).
int64_t dims_product(const Shape& shape, size_t first, size_t last);

// Row-major strides of `shape`, in elements.
std::vector<int64_t> row_major_strides(const Shape& shape);

// Strides for reading `in` as if broadcast to `out` (0 on broadcast dims);
// `in` is right-aligned to `out`'s rank.
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);

// Conv/pool window of a 2-D spatial op with defaults resolved
// (strides and dilations 1, pads 0).
struct Window2d {
  int64_t kh = 1, kw = 1;
  int64_t sh = 1, sw = 1;
  int64_t dh = 1, dw = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
};

// Reads strides/dilations/pads from `a`, kernel size from (kh, kw). Checks
// counts (2, 2, 4 entries when present) and ranges; `what` names the node.
Status window2d(const NodeAttrs& a, int64_t kh, int64_t kw, const std::string& what, Window2d* out);

// Output size of one spatial dim of a conv (floor rule).
int64_t conv_output_dim(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                        int64_t pad_begin, int64_t pad_end);
// Output size of one spatial dim of a pool; with ceil_mode, the ONNX/PyTorch
// rule that the last window must start inside the input or the begin pad.
int64_t pool_output_dim(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                        int64_t pad_begin, int64_t pad_end, bool ceil_mode);

// One dim of a Slice: elements start, start+step, ... (count of them).
struct SliceDim {
  int64_t start = 0;
  int64_t step = 1;
  int64_t count = 0;
};
// Resolves Slice attributes (starts, ends, axes, steps) against `in` with
// ONNX clamping; dims not named in axes take all elements.
Status slice_dims(const NodeAttrs& a, const Shape& in, const std::string& what,
                  std::vector<SliceDim>* out);

// Sizes of Split's outputs along the axis of size `dim`: attrs.split when
// given, else `outputs` chunks of ceil(dim/outputs) with a smaller last one.
Status split_sizes(const NodeAttrs& a, int64_t dim, size_t outputs, const std::string& what,
                   std::vector<int64_t>* out);

}  // namespace tandem
