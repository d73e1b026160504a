// Resize's per-axis rules from the ONNX spec, shared by every backend: which
// input coordinate an output index reads (coordinate_transformation_mode),
// how nearest mode rounds it, and the two taps and weight linear mode blends.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/node.h"

namespace tandem::ref {

// Input coordinate (in input pixels, may lie outside [0, in)) that output
// index `o` of an axis of `in` -> `out` elements reads, where the model's
// transform divides by `scale`.
double resize_source(ResizeCoordinate mode, int64_t o, double scale, int64_t in, int64_t out);

// The scale of axis `axis` the transform divides by: out / in exactly when the
// model gave sizes, else the float scale it gave.
double resize_scale(const NodeAttrs& a, size_t axis, int64_t in);

// The input index nearest mode picks for coordinate `x`, clamped to [0, in).
int64_t resize_nearest_index(ResizeNearest mode, double x, int64_t in);

// One output index of an axis: out = (1 - w) * x[i0] + w * x[i1]. Nearest mode
// has i0 == i1 and w == 0.
struct ResizeTap {
  int32_t i0 = 0;
  int32_t i1 = 0;
  float w = 0.0f;
};

// The taps of every output index of axis `axis` (2: H, 3: W) of Resize node
// attributes `a` for an input of `in` elements along it.
std::vector<ResizeTap> resize_taps(const NodeAttrs& a, size_t axis, int64_t in);

}  // namespace tandem::ref
