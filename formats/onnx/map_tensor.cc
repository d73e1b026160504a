// Data movement: Concat, Split, Slice, Transpose, Reshape, Flatten, Pad, Gather, and
// Squeeze/Unsqueeze (which become Reshape to their inferred static shape).
#include <algorithm>
#include <numeric>

#include <limits>

#include "formats/onnx/op_mappers.h"
#include "graph/shape_util.h"

namespace tandem::onnx_import {
namespace {

Expected<int64_t> input_rank(ImportContext& ctx, const onnx::NodeProto& n, int k = 0) {
  TANDEM_ASSIGN_OR_RETURN(Shape s, ctx.input_shape(n, k));
  return static_cast<int64_t>(s.size());
}

Status map_concat(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(int64_t rank, input_rank(ctx, n));
  NodeAttrs a;
  TANDEM_ASSIGN_OR_RETURN(a.axis, normalize_axis(n, attr_int(n, "axis", 0), rank));
  std::vector<int> in;
  for (int k = 0; k < n.input_size(); ++k) {
    TANDEM_ASSIGN_OR_RETURN(int t, ctx.input(n, k));
    if (t >= 0) in.push_back(t);
  }
  return ctx.add_node(n, OpType::kConcat, std::move(in), a).status();
}

Status map_split(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(Shape x, ctx.input_shape(n, 0));
  NodeAttrs a;
  TANDEM_ASSIGN_OR_RETURN(
      a.axis, normalize_axis(n, attr_int(n, "axis", 0), static_cast<int64_t>(x.size())));
  if (ctx.opset >= 13 && ctx.has_input(n, 1)) {
    TANDEM_ASSIGN_OR_RETURN(a.split, ctx.const_ints(n, 1, "split"));
  } else {
    a.split = attr_ints(n, "split");
  }
  int64_t dim = x[static_cast<size_t>(a.axis)];
  int64_t parts = n.output_size();
  if (a.split.empty()) {  // equal parts, the last one smaller when it does not divide
    int64_t each = (dim + parts - 1) / parts;
    for (int64_t k = 0; k < parts; ++k) a.split.push_back(std::min(each, dim - k * each));
  }
  if (static_cast<int64_t>(a.split.size()) != parts ||
      std::accumulate(a.split.begin(), a.split.end(), int64_t(0)) != dim)
    return invalid_model(ImportContext::describe(n) + ": split sizes do not add up to dimension " +
                         std::to_string(dim) + " over " + std::to_string(parts) + " outputs");
  TANDEM_ASSIGN_OR_RETURN(int in, ctx.input(n, 0));
  return ctx.add_node(n, OpType::kSplit, {in}, a, static_cast<int>(parts)).status();
}

Status map_slice(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(int64_t rank, input_rank(ctx, n));
  NodeAttrs a;
  TANDEM_ASSIGN_OR_RETURN(a.starts, ctx.const_ints(n, 1, "starts"));
  TANDEM_ASSIGN_OR_RETURN(a.ends, ctx.const_ints(n, 2, "ends"));
  if (ctx.has_input(n, 3)) {
    TANDEM_ASSIGN_OR_RETURN(a.axes, ctx.const_ints(n, 3, "axes"));
  } else {
    a.axes.resize(a.starts.size());
    std::iota(a.axes.begin(), a.axes.end(), 0);
  }
  if (ctx.has_input(n, 4)) {
    TANDEM_ASSIGN_OR_RETURN(a.steps, ctx.const_ints(n, 4, "steps"));
  } else {
    a.steps.assign(a.starts.size(), 1);
  }
  if (a.ends.size() != a.starts.size() || a.axes.size() != a.starts.size() ||
      a.steps.size() != a.starts.size())
    return invalid_model(ImportContext::describe(n) +
                         ": starts, ends, axes and steps differ in length");
  for (int64_t& ax : a.axes) {
    TANDEM_ASSIGN_OR_RETURN(ax, normalize_axis(n, ax, rank));
  }
  for (int64_t s : a.steps)
    if (s == 0) return invalid_model(ImportContext::describe(n) + ": a step is 0");
  // ONNX shape inference cannot see through starts/ends computed by shape math; we can.
  if (n.output_size() > 0 && !ctx.shape(n.output(0))) {
    TANDEM_ASSIGN_OR_RETURN(Shape x, ctx.input_shape(n, 0));
    std::vector<SliceDim> dims;
    TANDEM_RETURN_IF_ERROR(slice_dims(a, x, ImportContext::describe(n), &dims));
    Shape y(dims.size());
    for (size_t k = 0; k < dims.size(); ++k) y[k] = dims[k].count;
    ctx.shapes[n.output(0)] = y;
  }
  TANDEM_ASSIGN_OR_RETURN(int in, ctx.input(n, 0));
  return ctx.add_node(n, OpType::kSlice, {in}, a).status();
}

Status map_transpose(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(int64_t rank, input_rank(ctx, n));
  NodeAttrs a;
  a.perm = attr_ints(n, "perm");
  if (a.perm.empty())
    for (int64_t k = rank - 1; k >= 0; --k) a.perm.push_back(k);
  if (static_cast<int64_t>(a.perm.size()) != rank)
    return invalid_model(ImportContext::describe(n) + ": perm has " +
                         std::to_string(a.perm.size()) + " entries for rank " +
                         std::to_string(rank));
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t& p : a.perm) {
    TANDEM_ASSIGN_OR_RETURN(p, normalize_axis(n, p, rank));
    if (seen[static_cast<size_t>(p)])
      return invalid_model(ImportContext::describe(n) + ": perm repeats an axis");
    seen[static_cast<size_t>(p)] = true;
  }
  TANDEM_ASSIGN_OR_RETURN(int in, ctx.input(n, 0));
  // A permutation that keeps the dims larger than 1 in order moves no data (ViT's
  // [1, 197, 768] <-> [197, 1, 768] around attention): a Reshape, which every backend
  // runs as a view.
  TANDEM_ASSIGN_OR_RETURN(Shape x, ctx.input_shape(n, 0));
  int64_t last = -1;
  bool moves_data = false;
  for (int64_t p : a.perm) {
    if (x[static_cast<size_t>(p)] == 1) continue;
    moves_data |= p < last;
    last = p;
  }
  if (!moves_data && rank != 4) {
    NodeAttrs r;
    for (int64_t p : a.perm) r.shape.push_back(x[static_cast<size_t>(p)]);
    return ctx.add_node(n, OpType::kReshape, {in}, r).status();
  }
  return ctx.add_node(n, OpType::kTranspose, {in}, a).status();
}

// Reshape's target with 0 and -1 resolved against the known input shape.
Status resolve_reshape(const onnx::NodeProto& n, const Shape& x, bool allow_zero,
                       std::vector<int64_t>* target) {
  int64_t known = 1, infer = -1;
  for (size_t k = 0; k < target->size(); ++k) {
    int64_t& d = (*target)[k];
    if (d == 0 && !allow_zero) {
      if (k >= x.size())
        return invalid_model(ImportContext::describe(n) + ": 0 copies a dimension the input lacks");
      d = x[k];
    }
    if (d == -1) {
      if (infer >= 0)
        return invalid_model(ImportContext::describe(n) + ": more than one -1 in the shape");
      infer = static_cast<int64_t>(k);
    } else if (d < 0) {
      return invalid_model(ImportContext::describe(n) + ": negative dimension in the shape");
    } else {
      // Checked multiply: a hostile shape must not overflow (fuzzer finding).
      if (d != 0 && known > std::numeric_limits<int64_t>::max() / d)
        return invalid_model(ImportContext::describe(n) + ": reshape target " +
                             shape_to_string(*target) + " overflows");
      known *= d;
    }
  }
  int64_t total = shape_elements(x);
  if (infer >= 0) {
    if (known == 0 || total % known != 0)
      return invalid_model(ImportContext::describe(n) + ": cannot infer -1 reshaping " +
                           shape_to_string(x));
    (*target)[static_cast<size_t>(infer)] = total / known;
  }
  if (shape_elements(*target) != total)
    return invalid_model(ImportContext::describe(n) + ": cannot reshape " + shape_to_string(x) +
                         " to " + shape_to_string(*target));
  return Status();
}

Status map_reshape(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(Shape x, ctx.input_shape(n, 0));
  NodeAttrs a;
  TANDEM_ASSIGN_OR_RETURN(a.shape, ctx.const_ints(n, 1, "shape"));
  TANDEM_RETURN_IF_ERROR(resolve_reshape(n, x, attr_int(n, "allowzero", 0) != 0, &a.shape));
  if (n.output_size() > 0 && !ctx.shape(n.output(0))) ctx.shapes[n.output(0)] = a.shape;
  TANDEM_ASSIGN_OR_RETURN(int in, ctx.input(n, 0));
  return ctx.add_node(n, OpType::kReshape, {in}, a).status();
}

// Squeeze/Unsqueeze only move no data: a Reshape to the shape ONNX inferred.
Status map_to_reshape(ImportContext& ctx, const onnx::NodeProto& n) {
  const Shape* out = n.output_size() ? ctx.shape(n.output(0)) : nullptr;
  if (!out)
    return unsupported(ImportContext::describe(n) +
                       ": output shape unknown after ONNX shape inference");
  NodeAttrs a;
  a.shape = *out;
  TANDEM_ASSIGN_OR_RETURN(int in, ctx.input(n, 0));
  return ctx.add_node(n, OpType::kReshape, {in}, a).status();
}

Status map_flatten(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(int64_t rank, input_rank(ctx, n));
  NodeAttrs a;
  TANDEM_ASSIGN_OR_RETURN(a.axis,
                          normalize_axis(n, attr_int(n, "axis", 1), rank, /*inclusive=*/true));
  TANDEM_ASSIGN_OR_RETURN(int in, ctx.input(n, 0));
  return ctx.add_node(n, OpType::kFlatten, {in}, a).status();
}

Status map_pad(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(int64_t rank, input_rank(ctx, n));
  NodeAttrs a;
  std::string mode = attr_string(n, "mode", "constant");
  if (mode == "constant")
    a.pad_mode = PadMode::kConstant;
  else if (mode == "reflect")
    a.pad_mode = PadMode::kReflect;
  else if (mode == "edge")
    a.pad_mode = PadMode::kEdge;
  else
    return unsupported(ImportContext::describe(n) + ": pad mode '" + mode + "'");
  TANDEM_ASSIGN_OR_RETURN(a.pads, ctx.const_ints(n, 1, "pads"));
  if (ctx.has_input(n, 3))
    return unsupported(ImportContext::describe(n) + ": the axes input (opset 18)");
  if (static_cast<int64_t>(a.pads.size()) != 2 * rank)
    return invalid_model(ImportContext::describe(n) + ": pads has " +
                         std::to_string(a.pads.size()) + " entries for rank " +
                         std::to_string(rank));
  for (int64_t p : a.pads)
    if (p < 0) return unsupported(ImportContext::describe(n) + ": negative pads (cropping)");
  if (ctx.has_input(n, 2)) {
    TANDEM_ASSIGN_OR_RETURN(a.pad_value, ctx.const_float(n, 2, "constant_value"));
  }
  TANDEM_ASSIGN_OR_RETURN(int in, ctx.input(n, 0));
  // torch writes an all-zero Pad before every AveragePool; Identity is removed by the passes.
  if (std::all_of(a.pads.begin(), a.pads.end(), [](int64_t p) { return p == 0; }))
    return ctx.add_node(n, OpType::kIdentity, {in}, {}).status();
  return ctx.add_node(n, OpType::kPad, {in}, a).status();
}

// Gather on run-time data (ViT's class token x[:, 0]); the indices must be known at
// conversion time and become attributes, normalised into [0, dim).
Status map_gather(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(Shape x, ctx.input_shape(n, 0));
  const int64_t rank = static_cast<int64_t>(x.size());
  if (rank == 0) return invalid_model(ImportContext::describe(n) + ": data is a scalar");
  NodeAttrs a;
  TANDEM_ASSIGN_OR_RETURN(a.axis, normalize_axis(n, attr_int(n, "axis", 0), rank));
  const ConstValue* idx = ctx.has_input(n, 1) ? ctx.constant(n.input(1)) : nullptr;
  if (!idx)
    return unsupported(ImportContext::describe(n) +
                       ": indices are computed at run time; Tandem gathers with indices known at "
                       "conversion time only");
  const int64_t dim = x[static_cast<size_t>(a.axis)];
  for (size_t k = 0; k < idx->size(); ++k) {
    int64_t j = idx->as_int(k);
    if (j < -dim || j >= dim)
      return invalid_model(ImportContext::describe(n) + ": index " + std::to_string(j) +
                           " is out of range for a dimension of " + std::to_string(dim));
    a.indices.push_back(j < 0 ? j + dim : j);
  }
  a.indices_shape = idx->shape;
  if (n.output_size() > 0 && !ctx.shape(n.output(0))) {
    Shape y(x.begin(), x.begin() + a.axis);
    y.insert(y.end(), idx->shape.begin(), idx->shape.end());
    y.insert(y.end(), x.begin() + a.axis + 1, x.end());
    ctx.shapes[n.output(0)] = y;
  }
  TANDEM_ASSIGN_OR_RETURN(int in, ctx.input(n, 0));
  return ctx.add_node(n, OpType::kGather, {in}, a).status();
}

}  // namespace

void add_tensor_mappers(MapperTable& t) {
  t.add("Gather", map_gather);
  t.add("Concat", map_concat);
  t.add("Split", map_split);
  t.add("Slice", map_slice);
  t.add("Transpose", map_transpose);
  t.add("Reshape", map_reshape);
  t.add("Squeeze", map_to_reshape);
  t.add("Unsqueeze", map_to_reshape);
  t.add("Flatten", map_flatten);
  t.add("Pad", map_pad);
}

}  // namespace tandem::onnx_import
