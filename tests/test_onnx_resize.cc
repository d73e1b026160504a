// ONNX Resize (and Upsample) through the converter: attributes, scales or
// sizes, and the clear errors for what Tandem cannot do.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/onnx_builder.h"
#include "tests/onnx_convert_helpers.h"

using namespace tandem;
using namespace tandem::test;

namespace {

// x [shape] -> Resize(x, roi '', scales or sizes) with string attributes.
OnnxBuilder resize_model(std::vector<int64_t> shape, std::vector<float> scales,
                         std::vector<int64_t> sizes,
                         std::vector<std::pair<std::string, std::string>> attrs = {}) {
  OnnxBuilder b(13);
  b.input("x", shape);
  if (!scales.empty()) b.init_floats("scales", {int64_t(scales.size())}, scales);
  if (!sizes.empty()) b.init_ints("sizes", sizes);
  auto* r =
      b.node("Resize", {"x", "", scales.empty() ? "" : "scales", sizes.empty() ? "" : "sizes"},
             {"y"}, "up");
  for (const auto& [k, v] : attrs) OnnxBuilder::attr(r, k, v);
  b.output("y");
  return b;
}

}  // namespace

TEST_CASE("Resize: modes and transforms become attributes; scales or sizes fix the output") {
  Graph g = convert_ok(
      resize_model({1, 3, 4, 5}, {1, 1, 2, 1.5f}, {},
                   {{"mode", "linear"}, {"coordinate_transformation_mode", "align_corners"}}),
      "resize_scales.onnx");
  const Node& n = single(g, OpType::kResize);
  CHECK(n.attrs.resize_mode == ResizeMode::kLinear);
  CHECK(n.attrs.resize_coordinate == ResizeCoordinate::kAlignCorners);
  CHECK(n.attrs.sizes == std::vector<int64_t>{1, 3, 8, 7});  // floor(5 * 1.5)
  CHECK(n.attrs.scales == std::vector<float>{1, 1, 2, 1.5f});
  CHECK_FALSE(n.attrs.resize_from_sizes);
  CHECK(g.tensor(n.outputs[0]).shape == Shape{1, 3, 8, 7});

  Graph s = convert_ok(resize_model({1, 3, 4, 5}, {}, {1, 3, 7, 3},
                                    {{"nearest_mode", "ceil"},
                                     {"coordinate_transformation_mode", "pytorch_half_pixel"}}),
                       "resize_sizes.onnx");
  const Node& m = single(s, OpType::kResize);
  CHECK(m.attrs.resize_mode == ResizeMode::kNearest);  // the default
  CHECK(m.attrs.resize_nearest == ResizeNearest::kCeil);
  CHECK(m.attrs.resize_coordinate == ResizeCoordinate::kPytorchHalfPixel);
  CHECK(m.attrs.sizes == std::vector<int64_t>{1, 3, 7, 3});
  CHECK(m.attrs.resize_from_sizes);
  CHECK(m.attrs.scales[3] == doctest::Approx(0.6));

  // A resize to the same shape with unit scales reads every pixel in place: Identity.
  Graph id = convert_ok(resize_model({1, 3, 4, 5}, {1, 1, 1, 1}, {}), "resize_same.onnx");
  CHECK(id.nodes.size() == 1);
  CHECK(id.nodes[0].op == OpType::kIdentity);
}

TEST_CASE("Resize: what Tandem cannot do is a clear error naming the node") {
  struct Bad {
    OnnxBuilder model;
    const char* part;
  };
  Bad cases[] = {
      {resize_model({1, 3, 4, 4}, {1, 1, 2, 2}, {}, {{"mode", "cubic"}}), "mode 'cubic'"},
      {resize_model({1, 3, 4, 4}, {1, 1, 2, 2}, {},
                    {{"coordinate_transformation_mode", "tf_crop_and_resize"}}),
       "tf_crop_and_resize"},
      {resize_model({1, 3, 4, 4}, {1, 1, 2, 2}, {}, {{"nearest_mode", "nearest_even"}}),
       "nearest_mode 'nearest_even'"},
      {resize_model({1, 3, 4}, {1, 1, 2}, {}), "rank-3"},
      {resize_model({1, 3, 4, 4}, {1, 2, 2, 2}, {}), "N or C"},
      {resize_model({1, 3, 4, 4}, {}, {1, 3, 8}), "3 entries, expected 4"},
      {resize_model({1, 3, 4, 4}, {1, 1, 0, 2}, {}), "not positive"},
  };
  for (Bad& c : cases) {
    CAPTURE(std::string(c.part));
    Status st = convert_error(c.model, "resize_bad.onnx");
    CHECK(contains(st.message(), "'up' (Resize)"));
    CHECK(contains(st.message(), c.part));
  }
  // Scales computed from run-time data cannot be fixed at conversion.
  OnnxBuilder rt(13);
  rt.input("x", {1, 3, 4, 4});
  rt.input("s", {4});
  rt.node("Resize", {"x", "", "s"}, {"y"}, "up");
  rt.output("y");
  Status st = convert_error(rt, "resize_runtime.onnx");
  INFO(st.to_string());
  CHECK(st.code() == StatusCode::kUnsupported);
  CHECK(contains(st.message(), "'up' (Resize)"));
  CHECK(contains(st.message(), "computed at run time"));
}
