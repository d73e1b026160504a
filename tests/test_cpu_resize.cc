// The own cpu Resize (kernels/cpu/ops/resize.cc) against the reference
// processor at 1 and 2 threads: nearest in every rounding, integer-factor
// nearest upsampling (the row-repeat path), bilinear in every coordinate
// transform, up and down, and outputs that are slices of a concatenation.
#include <doctest/doctest.h>

#include "tests/cpu_compare.h"

using namespace tandem;
using namespace tandem::cpu_test;

namespace {

NodeAttrs resize(ResizeMode mode, ResizeCoordinate coord, ResizeNearest nearest, Shape sizes,
                 float sh, float sw) {
  NodeAttrs a;
  a.resize_mode = mode;
  a.resize_coordinate = coord;
  a.resize_nearest = nearest;
  a.sizes = std::move(sizes);
  a.scales = {1.0f, 1.0f, sh, sw};
  return a;
}

// x [n, c, h, w] -> Resize to [n, c, oh, ow]; runs on `spec` natively and within `tol`.
void check_resize(Shape x_shape, NodeAttrs a, const std::string& spec, double tol) {
  Graph g;
  int x = test::add_input(g, "x", x_shape);
  const Shape out = a.sizes;
  g.outputs = {node(g, OpType::kResize, "resize", {x}, out, a)};
  std::vector<std::string> fb, kinds;
  CHECK(compare(g, spec, &fb, nullptr, nullptr, &kinds) <= tol);
  CHECK(fb.empty());
  REQUIRE(kinds.size() == 1);
  CHECK(kinds[0] == "own");
}

}  // namespace

TEST_CASE("cpu Resize nearest: every rounding, integer factors, up and down") {
  for (const char* spec : {"cpu:threads=1", "cpu:threads=2"}) {
    CAPTURE(spec);
    for (ResizeNearest r : {ResizeNearest::kRoundPreferFloor, ResizeNearest::kRoundPreferCeil,
                            ResizeNearest::kFloor, ResizeNearest::kCeil}) {
      CAPTURE(int(r));
      // YOLO's 2x (row repeat), 3x1, a non-integer factor and a downsampling.
      check_resize(
          {1, 19, 5, 6},
          resize(ResizeMode::kNearest, ResizeCoordinate::kAsymmetric, r, {1, 19, 10, 12}, 2, 2),
          spec, 0.0);
      check_resize(
          {2, 3, 4, 5},
          resize(ResizeMode::kNearest, ResizeCoordinate::kHalfPixel, r, {2, 3, 12, 5}, 3, 1), spec,
          0.0);
      check_resize(
          {1, 8, 5, 7},
          resize(ResizeMode::kNearest, ResizeCoordinate::kHalfPixel, r, {1, 8, 8, 11}, 1.6f, 1.6f),
          spec, 0.0);
      check_resize({1, 4, 9, 8},
                   resize(ResizeMode::kNearest, ResizeCoordinate::kAlignCorners, r, {1, 4, 4, 3},
                          0.5f, 0.4f),
                   spec, 0.0);
    }
  }
}

TEST_CASE("cpu Resize bilinear: every coordinate transform, sizes and scales") {
  for (const char* spec : {"cpu:threads=1", "cpu:threads=2"}) {
    CAPTURE(spec);
    for (ResizeCoordinate c : {ResizeCoordinate::kHalfPixel, ResizeCoordinate::kAsymmetric,
                               ResizeCoordinate::kPytorchHalfPixel, ResizeCoordinate::kAlignCorners,
                               ResizeCoordinate::kHalfPixelSymmetric}) {
      CAPTURE(int(c));
      NodeAttrs up = resize(ResizeMode::kLinear, c, ResizeNearest::kFloor, {1, 21, 28, 28}, 0, 0);
      up.resize_from_sizes = true;  // FCN's head: 7x7 -> 28x28 from sizes
      up.scales = {1, 1, 4, 4};
      check_resize({1, 21, 7, 7}, up, spec, 1e-6);
      check_resize(
          {2, 5, 6, 9},
          resize(ResizeMode::kLinear, c, ResizeNearest::kFloor, {2, 5, 4, 13}, 0.75f, 1.5f), spec,
          1e-6);
      check_resize(
          {1, 3, 4, 4},
          resize(ResizeMode::kLinear, c, ResizeNearest::kFloor, {1, 3, 1, 1}, 0.25f, 0.25f), spec,
          1e-6);
    }
  }
}

TEST_CASE("cpu Resize writes into and reads from concatenation slices") {
  for (ResizeMode mode : {ResizeMode::kNearest, ResizeMode::kLinear}) {
    CAPTURE(int(mode));
    // YOLO's neck: conv -> Resize 2x -> Concat with a skip feature map.
    Graph g;
    int x = test::add_input(g, "x", {1, 6, 4, 5});
    int skip = test::add_input(g, "skip", {1, 3, 8, 10});
    int w = test::add_random_constant(g, "w", {5, 6, 1, 1}, 4);
    int a = node(g, OpType::kConv, "conv", {x, w}, {1, 5, 4, 5}, conv_attrs(1, 1, 0));
    NodeAttrs cat;
    cat.axis = 1;
    int c1 = node(g, OpType::kConcat, "cat1", {a, x}, {1, 11, 4, 5}, cat);
    int r = node(
        g, OpType::kResize, "up", {a}, {1, 5, 8, 10},
        resize(mode, ResizeCoordinate::kAsymmetric, ResizeNearest::kFloor, {1, 5, 8, 10}, 2, 2));
    int c2 = node(g, OpType::kConcat, "cat2", {skip, r}, {1, 8, 8, 10}, cat);
    g.outputs = {c1, c2};
    std::vector<std::string> fb;
    int64_t copies = -1;
    CHECK(compare(g, "cpu:threads=2", &fb, &copies) <= 1e-6);
    CHECK(fb.empty());
    CHECK(copies <= 2);  // x and skip; the conv and the Resize write in place
  }
}
