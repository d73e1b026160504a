#include "kernels/reference/resize_coords.h"

#include <algorithm>
#include <cmath>

namespace tandem::ref {

double resize_scale(const NodeAttrs& a, size_t axis, int64_t in) {
  return a.resize_from_sizes ? double(a.sizes[axis]) / double(in) : double(a.scales[axis]);
}

double resize_source(ResizeCoordinate mode, int64_t o, double s, int64_t in, int64_t out) {
  const double x = double(o);
  switch (mode) {
    case ResizeCoordinate::kHalfPixel:
      return (x + 0.5) / s - 0.5;
    case ResizeCoordinate::kAsymmetric:
      return x / s;
    case ResizeCoordinate::kPytorchHalfPixel:
      return out > 1 ? (x + 0.5) / s - 0.5 : 0.0;
    case ResizeCoordinate::kAlignCorners:
      return out > 1 ? x * double(in - 1) / double(out - 1) : 0.0;
    case ResizeCoordinate::kTfHalfPixelForNearest:
      return (x + 0.5) / s;
    case ResizeCoordinate::kHalfPixelSymmetric: {
      // Centres the resized grid when out is not exactly scale * in.
      const double adjustment = double(out) / (s * double(in));
      const double offset = double(in) / 2 * (1 - adjustment);
      return offset + (x + 0.5) / s - 0.5;
    }
  }
  return 0.0;
}

int64_t resize_nearest_index(ResizeNearest mode, double x, int64_t in) {
  const double f = std::floor(x);
  double r = f;
  switch (mode) {
    case ResizeNearest::kRoundPreferFloor:
      r = x - f <= 0.5 ? f : f + 1;
      break;
    case ResizeNearest::kRoundPreferCeil:
      r = x - f < 0.5 ? f : f + 1;
      break;
    case ResizeNearest::kFloor:
      r = f;
      break;
    case ResizeNearest::kCeil:
      r = std::ceil(x);
      break;
  }
  return static_cast<int64_t>(std::min(std::max(r, 0.0), double(in - 1)));
}

std::vector<ResizeTap> resize_taps(const NodeAttrs& a, size_t axis, int64_t in) {
  const int64_t out = a.sizes[axis];
  const double scale = resize_scale(a, axis, in);
  std::vector<ResizeTap> taps(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    const double x = resize_source(a.resize_coordinate, o, scale, in, out);
    ResizeTap& t = taps[static_cast<size_t>(o)];
    if (a.resize_mode == ResizeMode::kNearest) {
      t.i0 = t.i1 = static_cast<int32_t>(resize_nearest_index(a.resize_nearest, x, in));
      continue;
    }
    // Linear: outside [0, in - 1] the edge value repeats (the spec's edge padding).
    const double c = std::min(std::max(x, 0.0), double(in - 1));
    const int64_t i0 = static_cast<int64_t>(std::floor(c));
    t.i0 = static_cast<int32_t>(i0);
    t.i1 = static_cast<int32_t>(std::min(i0 + 1, in - 1));
    t.w = static_cast<float>(c - double(i0));
  }
  return taps;
}

}  // namespace tandem::ref
