// Gemm, MatMul, Softmax, ReduceMean, ReduceSum, LayerNormalization and BatchNormalization
// (kept for the fold_batchnorm pass, which merges it into the preceding Conv or Gemm).
#include "formats/onnx/op_mappers.h"

namespace tandem::onnx_import {
namespace {

Status map_gemm(ImportContext& ctx, const onnx::NodeProto& n) {
  NodeAttrs a;
  a.alpha = attr_float(n, "alpha", 1.0f);
  a.beta = attr_float(n, "beta", 1.0f);
  a.trans_a = attr_int(n, "transA", 0) != 0;
  a.trans_b = attr_int(n, "transB", 0) != 0;
  TANDEM_ASSIGN_OR_RETURN(int x, ctx.input(n, 0));
  TANDEM_ASSIGN_OR_RETURN(int w, ctx.input(n, 1));
  TANDEM_ASSIGN_OR_RETURN(int c, ctx.input(n, 2));
  std::vector<int> in = {x, w};
  if (c >= 0) in.push_back(c);
  return ctx.add_node(n, OpType::kGemm, std::move(in), a).status();
}

Status map_matmul(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(int x, ctx.input(n, 0));
  TANDEM_ASSIGN_OR_RETURN(int w, ctx.input(n, 1));
  return ctx.add_node(n, OpType::kMatMul, {x, w}, {}).status();
}

Status map_softmax(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(Shape x, ctx.input_shape(n, 0));
  int64_t rank = static_cast<int64_t>(x.size());
  NodeAttrs a;
  // Before opset 13 Softmax flattened the dims from `axis` on (default 1); same thing when axis is
  // the last.
  int64_t def = ctx.opset < 13 ? 1 : -1;
  TANDEM_ASSIGN_OR_RETURN(a.axis, normalize_axis(n, attr_int(n, "axis", def), rank));
  if (ctx.opset < 13 && a.axis != rank - 1) {
    for (int64_t k = a.axis + 1; k < rank; ++k)
      if (x[static_cast<size_t>(k)] != 1)
        return unsupported(ImportContext::describe(n) + ": opset-" + std::to_string(ctx.opset) +
                           " Softmax over several axes");
  }
  TANDEM_ASSIGN_OR_RETURN(int in, ctx.input(n, 0));
  return ctx.add_node(n, OpType::kSoftmax, {in}, a).status();
}

// Axes of a reduction: the attribute, or (ReduceSum since opset 13, ReduceMean since 18) the
// constant second input.
Expected<NodeAttrs> reduce_attrs(ImportContext& ctx, const onnx::NodeProto& n) {
  NodeAttrs a;
  a.keepdims = attr_int(n, "keepdims", 1) != 0;
  a.axes = attr_ints(n, "axes");
  if (ctx.has_input(n, 1)) {
    TANDEM_ASSIGN_OR_RETURN(a.axes, ctx.const_ints(n, 1, "axes"));
  }
  return a;
}

// ReduceSum; empty axes with noop_with_empty_axes=1 is the identity.
Status map_reduce_sum(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(Shape x, ctx.input_shape(n, 0));
  const int64_t rank = static_cast<int64_t>(x.size());
  TANDEM_ASSIGN_OR_RETURN(NodeAttrs a, reduce_attrs(ctx, n));
  TANDEM_ASSIGN_OR_RETURN(int in, ctx.input(n, 0));
  if (a.axes.empty() && attr_int(n, "noop_with_empty_axes", 0) != 0)
    return ctx.add_node(n, OpType::kIdentity, {in}, {}).status();
  for (int64_t& ax : a.axes) {
    TANDEM_ASSIGN_OR_RETURN(ax, normalize_axis(n, ax, rank));
  }
  return ctx.add_node(n, OpType::kReduceSum, {in}, a).status();
}

Status map_reduce_mean(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(Shape x, ctx.input_shape(n, 0));
  int64_t rank = static_cast<int64_t>(x.size());
  TANDEM_ASSIGN_OR_RETURN(NodeAttrs a, reduce_attrs(ctx, n));
  if (a.axes.empty())
    for (int64_t k = 0; k < rank; ++k) a.axes.push_back(k);
  for (int64_t& ax : a.axes) {
    TANDEM_ASSIGN_OR_RETURN(ax, normalize_axis(n, ax, rank));
  }
  TANDEM_ASSIGN_OR_RETURN(int in, ctx.input(n, 0));
  // GlobalAveragePool is what every backend runs fastest; ReduceMean over H,W with keepdims is the
  // same.
  if (rank == 4 && a.keepdims &&
      ((a.axes == std::vector<int64_t>{2, 3}) || (a.axes == std::vector<int64_t>{3, 2})))
    return ctx.add_node(n, OpType::kGlobalAveragePool, {in}, {}).status();
  return ctx.add_node(n, OpType::kReduceMean, {in}, a).status();
}

// LayerNormalization (opset 17): over axes [axis, rank); its Mean and InvStdDev
// outputs must be unused.
Status map_layer_norm(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(Shape x, ctx.input_shape(n, 0));
  const int64_t rank = static_cast<int64_t>(x.size());
  NodeAttrs a;
  a.epsilon = attr_float(n, "epsilon", 1e-5f);
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(n, attr_int(n, "axis", -1), rank));
  for (int64_t k = axis; k < rank; ++k) a.axes.push_back(k);
  TANDEM_ASSIGN_OR_RETURN(int in, ctx.input(n, 0));
  TANDEM_ASSIGN_OR_RETURN(int scale, ctx.input(n, 1));
  TANDEM_ASSIGN_OR_RETURN(int bias, ctx.input(n, 2));
  if (in < 0 || scale < 0)
    return invalid_model(ImportContext::describe(n) + ": needs the input and the scale");
  std::vector<int> inputs = {in, scale};
  if (bias >= 0) inputs.push_back(bias);
  return ctx.add_node(n, OpType::kLayerNormalization, std::move(inputs), a).status();
}

Status map_batch_norm(ImportContext& ctx, const onnx::NodeProto& n) {
  if (attr_int(n, "training_mode", 0) != 0)
    return unsupported(ImportContext::describe(n) + ": training_mode=1");
  NodeAttrs a;
  a.epsilon = attr_float(n, "epsilon", 1e-5f);
  std::vector<int> in;
  for (int k = 0; k < 5; ++k) {
    TANDEM_ASSIGN_OR_RETURN(int t, ctx.input(n, k));
    if (t < 0)
      return invalid_model(ImportContext::describe(n) + ": input " + std::to_string(k) +
                           " is missing");
    in.push_back(t);
  }
  return ctx.add_node(n, OpType::kBatchNormalization, std::move(in), a).status();
}

}  // namespace

void add_linear_mappers(MapperTable& t) {
  t.add("Gemm", map_gemm);
  t.add("MatMul", map_matmul);
  t.add("Softmax", map_softmax);
  t.add("ReduceMean", map_reduce_mean);
  t.add("ReduceSum", map_reduce_sum);
  t.add("BatchNormalization", map_batch_norm);
  t.add("LayerNormalization", map_layer_norm);
}

}  // namespace tandem::onnx_import
