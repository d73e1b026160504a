// Conv, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool (2-D, NCHW).
#include <algorithm>

#include "formats/onnx/op_mappers.h"

namespace tandem::onnx_import {
namespace {

// Fills kernel/strides/dilations/pads for a 2-D window op, resolving auto_pad.
Status window_attrs(ImportContext& ctx, const onnx::NodeProto& n, std::vector<int64_t> kernel,
                    NodeAttrs* a) {
  TANDEM_ASSIGN_OR_RETURN(Shape x, ctx.input_shape(n, 0));
  if (x.size() != 4 || kernel.size() != 2)
    return unsupported(ImportContext::describe(n) +
                       ": only 2-D windows on NCHW inputs are supported (input " +
                       shape_to_string(x) + ")");
  a->kernel_shape = kernel;
  a->strides = attr_ints(n, "strides", {1, 1});
  a->dilations = attr_ints(n, "dilations", {1, 1});
  a->pads = attr_ints(n, "pads", {0, 0, 0, 0});
  if (a->strides.size() != 2 || a->dilations.size() != 2 || a->pads.size() != 4)
    return invalid_model(ImportContext::describe(n) +
                         ": strides/dilations/pads do not match a 2-D kernel");
  for (int k = 0; k < 2; ++k)
    if (kernel[k] <= 0 || a->strides[k] <= 0 || a->dilations[k] <= 0)
      return invalid_model(ImportContext::describe(n) +
                           ": kernel, strides and dilations must be positive");
  for (int64_t p : a->pads)
    if (p < 0) return invalid_model(ImportContext::describe(n) + ": negative pads");
  std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
  if (auto_pad == "VALID") {
    a->pads = {0, 0, 0, 0};
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    for (int k = 0; k < 2; ++k) {
      int64_t in = x[static_cast<size_t>(2 + k)];
      int64_t out = (in + a->strides[k] - 1) / a->strides[k];
      int64_t eff = (kernel[k] - 1) * a->dilations[k] + 1;
      int64_t total = std::max<int64_t>(0, (out - 1) * a->strides[k] + eff - in);
      int64_t small = total / 2, big = total - small;
      a->pads[k] = auto_pad == "SAME_UPPER" ? small : big;
      a->pads[k + 2] = auto_pad == "SAME_UPPER" ? big : small;
    }
  } else if (auto_pad != "NOTSET") {
    return invalid_model(ImportContext::describe(n) + ": unknown auto_pad '" + auto_pad + "'");
  }
  return Status();
}

Status map_conv(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(Shape w, ctx.input_shape(n, 1));
  if (w.size() != 4)
    return unsupported(ImportContext::describe(n) +
                       ": only 2-D convolutions are supported (weight " + shape_to_string(w) + ")");
  NodeAttrs a;
  TANDEM_RETURN_IF_ERROR(window_attrs(ctx, n, attr_ints(n, "kernel_shape", {w[2], w[3]}), &a));
  a.group = attr_int(n, "group", 1);
  if (a.group <= 0) return invalid_model(ImportContext::describe(n) + ": group must be positive");
  TANDEM_ASSIGN_OR_RETURN(int x, ctx.input(n, 0));
  TANDEM_ASSIGN_OR_RETURN(int wt, ctx.input(n, 1));
  TANDEM_ASSIGN_OR_RETURN(int b, ctx.input(n, 2));
  std::vector<int> in = {x, wt};
  if (b >= 0) in.push_back(b);  // absent trailing optional inputs are left out
  return ctx.add_node(n, OpType::kConv, std::move(in), a).status();
}

Status map_pool(ImportContext& ctx, const onnx::NodeProto& n, OpType op) {
  NodeAttrs a;
  TANDEM_RETURN_IF_ERROR(window_attrs(ctx, n, attr_ints(n, "kernel_shape"), &a));
  a.ceil_mode = attr_int(n, "ceil_mode", 0) != 0;
  if (op == OpType::kAveragePool) {
    a.count_include_pad = attr_int(n, "count_include_pad", 0) != 0;
    if (a.dilations != std::vector<int64_t>{1, 1})
      return unsupported(ImportContext::describe(n) + ": dilated average pooling");
  }
  if (op == OpType::kMaxPool && attr_int(n, "storage_order", 0) != 0)
    return unsupported(ImportContext::describe(n) + ": storage_order=1");
  TANDEM_ASSIGN_OR_RETURN(int x, ctx.input(n, 0));
  return ctx.add_node(n, op, {x}, a).status();  // MaxPool's Indices output must be unused
}

Status map_max_pool(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_pool(ctx, n, OpType::kMaxPool);
}
Status map_average_pool(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_pool(ctx, n, OpType::kAveragePool);
}

Status map_global_pool(ImportContext& ctx, const onnx::NodeProto& n, OpType op) {
  TANDEM_ASSIGN_OR_RETURN(Shape x, ctx.input_shape(n, 0));
  if (x.size() != 4)
    return unsupported(ImportContext::describe(n) + ": only NCHW inputs are supported (input " +
                       shape_to_string(x) + ")");
  TANDEM_ASSIGN_OR_RETURN(int in, ctx.input(n, 0));
  return ctx.add_node(n, op, {in}, {}).status();
}

Status map_global_average_pool(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_global_pool(ctx, n, OpType::kGlobalAveragePool);
}
Status map_global_max_pool(ImportContext& ctx, const onnx::NodeProto& n) {
  return map_global_pool(ctx, n, OpType::kGlobalMaxPool);
}

}  // namespace

void add_conv_pool_mappers(MapperTable& t) {
  t.add("Conv", map_conv);
  t.add("MaxPool", map_max_pool);
  t.add("AveragePool", map_average_pool);
  t.add("GlobalAveragePool", map_global_average_pool);
  t.add("GlobalMaxPool", map_global_max_pool);
}

}  // namespace tandem::onnx_import
