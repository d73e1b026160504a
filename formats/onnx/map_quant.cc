// QuantizeLinear / DequantizeLinear (the QDQ form, docs/int8.md): the int8
// side's tensor carries the scale and zero point; an int8/int32 initializer
// read by DequantizeLinear becomes a quantized graph constant. The int8 ops
// themselves come from pass_fuse_qdq after mapping.
#include "formats/onnx/op_mappers.h"

namespace tandem::onnx_import {
namespace {

// Scale and zero point of a Q/DQ node; `rank` is the quantized tensor's. uint8
// (PyTorch's quint8, QUInt8, ONNX's default without a zero point) is shifted onto
// int8 exactly: q - 128 with zero point zp - 128 gives the same real values and
// the same saturation; `*shifted` says so.
Expected<Quantization> read_quantization(const ImportContext& ctx, const onnx::NodeProto& n,
                                         int64_t rank, bool* shifted) {
  const std::string what = ImportContext::describe(n);
  const ConstValue* scale = ctx.has_input(n, 1) ? ctx.constant(n.input(1)) : nullptr;
  if (!scale || !scale->is_float || scale->size() == 0)
    return unsupported(what + ": the scale must be a float32 constant");
  const ConstValue* zp = ctx.has_input(n, 2) ? ctx.constant(n.input(2)) : nullptr;
  if (ctx.has_input(n, 2) && !zp) return unsupported(what + ": the zero point must be a constant");
  const int32_t type = zp ? zp->elem_type : int32_t(onnx::TensorProto::UINT8);
  if (type != onnx::TensorProto::INT8 && type != onnx::TensorProto::UINT8 &&
      type != onnx::TensorProto::INT32)
    return unsupported(what + ": zero point is " + elem_type_name(type) +
                       "; Tandem runs int8 (and uint8, shifted onto int8) activations and weights");
  if (zp && zp->size() != scale->size())
    return invalid_model(what + ": " + std::to_string(scale->size()) + " scales but " +
                         std::to_string(zp->size()) + " zero points");
  *shifted = type == onnx::TensorProto::UINT8;
  Quantization q;
  q.scale = scale->f;
  for (size_t k = 0; k < scale->size(); ++k)
    q.zero_point.push_back((zp ? int32_t(zp->as_int(k)) : 0) - (*shifted ? 128 : 0));
  for (float s : q.scale)
    if (!(s > 0.0f) || s != s || s > 3.4e38f)
      return invalid_model(what + ": scale " + std::to_string(s) + " is not positive and finite");
  if (scale->size() > 1) {  // per axis (weights); ONNX's axis defaults to 1
    TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(n, attr_int(n, "axis", 1), rank));
    q.axis = int(axis);
  }
  return q;
}

Status map_quantize_linear(ImportContext& ctx, const onnx::NodeProto& n) {
  TANDEM_ASSIGN_OR_RETURN(int x, ctx.input(n, 0));
  if (x < 0) return invalid_model(ImportContext::describe(n) + ": input is missing");
  TANDEM_ASSIGN_OR_RETURN(Shape xs, ctx.input_shape(n, 0));
  bool shifted = false;
  TANDEM_ASSIGN_OR_RETURN(Quantization q, read_quantization(ctx, n, int64_t(xs.size()), &shifted));
  if (!q.per_tensor())
    return unsupported(ImportContext::describe(n) +
                       ": per-channel activation quantization is not supported");
  return ctx.add_int8_node(n, OpType::kQuantizeLinear, {x}, q, shifted).status();
}

// A quantized initializer as a graph constant of its own dtype.
Expected<int> quantized_constant(ImportContext& ctx, const onnx::NodeProto& n, const ConstValue& c,
                                 const Quantization& q, bool shifted) {
  Tensor t;
  t.name = n.input(0);
  t.shape = c.shape;
  t.quant = q;
  if (c.elem_type == onnx::TensorProto::INT8 ||
      (shifted && c.elem_type == onnx::TensorProto::UINT8)) {
    t.dtype = DType::kInt8;
    std::vector<int8_t> v(c.i.size());
    for (size_t k = 0; k < v.size(); ++k) v[k] = int8_t(c.i[k] - (shifted ? 128 : 0));
    t.data = ConstantData::from_int8(std::move(v));
  } else if (c.elem_type == onnx::TensorProto::INT32) {
    t.dtype = DType::kInt32;
    std::vector<int32_t> v(c.i.size());
    for (size_t k = 0; k < v.size(); ++k) v[k] = int32_t(c.i[k]);
    t.data = ConstantData::from_int32(std::move(v));
  } else {
    return unsupported(ImportContext::describe(n) + ": input '" + t.name + "' is " +
                       elem_type_name(c.elem_type) + "; Tandem dequantizes int8 and int32");
  }
  const int id = ctx.graph.add_tensor(std::move(t));
  ctx.tensor_ids[n.input(0)] = id;
  return id;
}

Status map_dequantize_linear(ImportContext& ctx, const onnx::NodeProto& n) {
  const std::string what = ImportContext::describe(n);
  if (!ctx.has_input(n, 0)) return invalid_model(what + ": input is missing");
  TANDEM_ASSIGN_OR_RETURN(Shape xs, ctx.input_shape(n, 0));
  bool shifted = false;
  TANDEM_ASSIGN_OR_RETURN(Quantization q, read_quantization(ctx, n, int64_t(xs.size()), &shifted));
  int x = -1;
  auto it = ctx.tensor_ids.find(n.input(0));
  if (it != ctx.tensor_ids.end()) {
    x = it->second;
    const Tensor& t = ctx.graph.tensor(x);
    if (t.quant != q)
      return unsupported(what + ": its scale/zero point differ from those '" + t.name +
                         "' was quantized with");
  } else if (const ConstValue* c = ctx.constant(n.input(0))) {
    if ((c->elem_type == onnx::TensorProto::UINT8) != shifted)
      return unsupported(what + ": input '" + n.input(0) + "' and its zero point differ in type");
    TANDEM_ASSIGN_OR_RETURN(x, quantized_constant(ctx, n, *c, q, shifted));
  } else {
    return invalid_model(what + ": input '" + n.input(0) + "' is not produced by any earlier node");
  }
  return ctx.add_node(n, OpType::kDequantizeLinear, {x}, {}).status();
}

}  // namespace

void add_quant_mappers(MapperTable& t) {
  t.add("QuantizeLinear", map_quantize_linear);
  t.add("DequantizeLinear", map_dequantize_linear);
}

}  // namespace tandem::onnx_import
