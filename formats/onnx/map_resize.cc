// Resize (opsets 10, 11, 13, 18, 19) and Upsample (opsets 7, 9) onto Resize:
// nearest or linear on 4-D NCHW tensors along H and W, with scales or sizes
// known at conversion time. Resize-10 and Upsample have no attributes for the
// coordinate transform: they are asymmetric, nearest rounding down.
#include <cmath>

#include "formats/onnx/op_mappers.h"
#include "graph/shape_util.h"

namespace tandem::onnx_import {
namespace {

Status refuse(const onnx::NodeProto& n, const std::string& what) {
  return unsupported(ImportContext::describe(n) + ": " + what);
}

Expected<ResizeMode> resize_mode(const onnx::NodeProto& n) {
  const std::string mode = attr_string(n, "mode", "nearest");
  if (mode == "nearest") return ResizeMode::kNearest;
  if (mode == "linear" || mode == "bilinear") return ResizeMode::kLinear;
  return refuse(n, "mode '" + mode + "' (Tandem resizes in nearest and linear mode)");
}

Expected<ResizeCoordinate> coordinate_mode(const onnx::NodeProto& n) {
  const std::string m = attr_string(n, "coordinate_transformation_mode", "half_pixel");
  if (m == "half_pixel") return ResizeCoordinate::kHalfPixel;
  if (m == "asymmetric") return ResizeCoordinate::kAsymmetric;
  if (m == "pytorch_half_pixel") return ResizeCoordinate::kPytorchHalfPixel;
  if (m == "align_corners") return ResizeCoordinate::kAlignCorners;
  if (m == "tf_half_pixel_for_nearest") return ResizeCoordinate::kTfHalfPixelForNearest;
  if (m == "half_pixel_symmetric") return ResizeCoordinate::kHalfPixelSymmetric;
  return refuse(n, "coordinate_transformation_mode '" + m + "'");
}

Expected<ResizeNearest> nearest_mode(const onnx::NodeProto& n) {
  const std::string m = attr_string(n, "nearest_mode", "round_prefer_floor");
  if (m == "round_prefer_floor") return ResizeNearest::kRoundPreferFloor;
  if (m == "round_prefer_ceil") return ResizeNearest::kRoundPreferCeil;
  if (m == "floor") return ResizeNearest::kFloor;
  if (m == "ceil") return ResizeNearest::kCeil;
  return refuse(n, "nearest_mode '" + m + "'");
}

// Input `k` when it is present and not empty (opset 11+ write '' or an empty tensor for "none").
const ConstValue* given(const ImportContext& ctx, const onnx::NodeProto& n, int k) {
  if (!ctx.has_input(n, k)) return nullptr;
  const ConstValue* c = ctx.constant(n.input(k));
  return c && c->size() == 0 ? nullptr : c;
}

// Per-dim values of `v` listed for `axes` (opset 18), spread over all `rank` dims.
Expected<std::vector<double>> per_dim(const onnx::NodeProto& n, const ConstValue& v,
                                      const std::vector<int64_t>& axes, int64_t rank, double fill,
                                      const char* what) {
  const size_t count = axes.empty() ? size_t(rank) : axes.size();
  if (v.size() != count)
    return invalid_model(ImportContext::describe(n) + ": " + what + " has " +
                         std::to_string(v.size()) + " entries, expected " + std::to_string(count));
  std::vector<double> r(size_t(rank), fill);
  for (size_t k = 0; k < count; ++k) {
    int64_t d = int64_t(k);
    if (!axes.empty()) {
      TANDEM_ASSIGN_OR_RETURN(d, normalize_axis(n, axes[k], rank));
    }
    r[size_t(d)] = v.as_double(k);
  }
  return r;
}

// Fills a.scales and a.sizes from the scales or sizes input (or Upsample-7's attribute).
Status output_geometry(ImportContext& ctx, const onnx::NodeProto& n, const Shape& x, NodeAttrs* a) {
  const bool upsample = n.op_type() == "Upsample";
  const bool old = upsample || ctx.opset < 11;  // Resize-10: (X, scales)
  const int scales_in = old ? 1 : 2, sizes_in = old ? -1 : 3;
  const int64_t rank = int64_t(x.size());
  const std::vector<int64_t> axes = attr_ints(n, "axes");
  const ConstValue* scales = given(ctx, n, scales_in);
  const ConstValue* sizes = sizes_in > 0 ? given(ctx, n, sizes_in) : nullptr;
  ConstValue attr_scales;  // Upsample-7 has them as an attribute
  if (upsample && !scales && find_attr(n, "scales")) {
    const auto* s = find_attr(n, "scales");
    attr_scales.f.assign(s->floats().begin(), s->floats().end());
    scales = &attr_scales;
  }
  if (!scales && !sizes) {
    const int k = ctx.has_input(n, sizes_in) ? sizes_in : scales_in;
    if (ctx.has_input(n, k) && !ctx.constant(n.input(k)))
      return refuse(n, "its " + std::string(k == sizes_in ? "sizes" : "scales") + " input ('" +
                           n.input(k) +
                           "') is computed at run time; Tandem needs it known at conversion time");
    return invalid_model(ImportContext::describe(n) + ": neither scales nor sizes is given");
  }
  a->scales.assign(size_t(rank), 1.0f);
  a->sizes = x;
  if (sizes) {
    if (attr_string(n, "keep_aspect_ratio_policy", "stretch") != "stretch")
      return refuse(n, "keep_aspect_ratio_policy other than 'stretch'");
    TANDEM_ASSIGN_OR_RETURN(std::vector<double> s, per_dim(n, *sizes, axes, rank, -1, "sizes"));
    a->resize_from_sizes = true;
    for (int64_t d = 0; d < rank; ++d) {
      if (s[size_t(d)] < 0) continue;
      a->sizes[size_t(d)] = int64_t(s[size_t(d)]);
      a->scales[size_t(d)] = float(double(a->sizes[size_t(d)]) / double(x[size_t(d)]));
    }
    return Status();
  }
  TANDEM_ASSIGN_OR_RETURN(std::vector<double> s, per_dim(n, *scales, axes, rank, 1.0, "scales"));
  for (int64_t d = 0; d < rank; ++d) {
    const float sc = float(s[size_t(d)]);
    if (!(sc > 0.0f) || !std::isfinite(sc))
      return invalid_model(ImportContext::describe(n) + ": scale " + std::to_string(sc) +
                           " of dim " + std::to_string(d) + " is not positive");
    a->scales[size_t(d)] = sc;
    a->sizes[size_t(d)] = int64_t(std::floor(double(x[size_t(d)]) * double(sc)));
  }
  return Status();
}

// What Tandem's Resize cannot do, named.
Status check_supported(const onnx::NodeProto& n, const Shape& x, const NodeAttrs& a) {
  if (x.size() != 4)
    return refuse(n, "resizing a rank-" + std::to_string(x.size()) +
                         " tensor (Tandem resizes 4-D NCHW tensors along H and W)");
  if (a.sizes[0] != x[0] || a.sizes[1] != x[1] || a.scales[0] != 1.0f || a.scales[1] != 1.0f)
    return refuse(n, "resizing the N or C dim (Tandem resizes 4-D NCHW tensors along H and W)");
  for (size_t d = 2; d < 4; ++d)
    if (a.sizes[d] <= 0 || a.sizes[d] > kMaxDim)
      return invalid_model(ImportContext::describe(n) + ": output size " +
                           std::to_string(a.sizes[d]) + " of dim " + std::to_string(d));
  if (attr_int(n, "antialias", 0) != 0 && (a.scales[2] < 1.0f || a.scales[3] < 1.0f))
    return refuse(n, "antialiased downsampling");
  return Status();
}

Status map_resize(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(Shape x, ctx.input_shape(n, 0));
  NodeAttrs a;
  TANDEM_ASSIGN_OR_RETURN(a.resize_mode, resize_mode(n));
  const bool old = n.op_type() == "Upsample" || ctx.opset < 11;
  if (old) {
    a.resize_coordinate = ResizeCoordinate::kAsymmetric;
    a.resize_nearest = ResizeNearest::kFloor;
  } else {
    if (attr_string(n, "coordinate_transformation_mode", "") == "tf_crop_and_resize")
      return refuse(n, "coordinate_transformation_mode 'tf_crop_and_resize' (roi crops)");
    TANDEM_ASSIGN_OR_RETURN(a.resize_coordinate, coordinate_mode(n));
    TANDEM_ASSIGN_OR_RETURN(a.resize_nearest, nearest_mode(n));
  }
  TANDEM_RETURN_IF_ERROR(output_geometry(ctx, n, x, &a));
  TANDEM_RETURN_IF_ERROR(check_supported(n, x, a));
  if (old && a.resize_mode == ResizeMode::kNearest && (a.scales[2] < 1.0f || a.scales[3] < 1.0f))
    return refuse(n, "nearest downsampling in " + n.op_type() + "-" + std::to_string(ctx.opset) +
                         " (its rounding is unspecified; use Resize-11 or later)");
  TANDEM_ASSIGN_OR_RETURN(int in, ctx.input(n, 0));
  if (n.output_size() > 0 && !ctx.shape(n.output(0))) ctx.shapes[n.output(0)] = a.sizes;
  if (a.sizes == x && a.scales[2] == 1.0f && a.scales[3] == 1.0f)  // every mode reads x[o]
    return ctx.add_node(n, OpType::kIdentity, {in}, {}).status();
  return ctx.add_node(n, OpType::kResize, {in}, a).status();
}

}  // namespace

void add_resize_mappers(MapperTable& t) {
  t.add("Resize", map_resize);
  t.add("Upsample", map_resize);
}

}  // namespace tandem::onnx_import
