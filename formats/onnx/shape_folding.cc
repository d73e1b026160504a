// Evaluates at conversion time the small integer computations exporters
// write around Reshape/Flatten (Shape -> Gather -> Unsqueeze -> Concat), and
// any other node from this list whose inputs are all known.
#include <algorithm>
#include <cmath>
#include <functional>

#include "formats/onnx/fold_broadcast.h"
#include "formats/onnx/op_mappers.h"
#include "graph/shape_util.h"

namespace tandem::onnx_import {
namespace {

using Fold = Expected<ConstValue> (*)(ImportContext& ctx, const onnx::NodeProto& n,
                                      const FoldInputs& in);

// A 1-D integer constant (shape taken before `v` is moved).
ConstValue make_vector(std::vector<int64_t> v) {
  ConstValue c;
  c.is_float = false;
  c.shape = {static_cast<int64_t>(v.size())};
  c.i = std::move(v);
  return c;
}

ConstValue make_ints(Shape shape, std::vector<int64_t> v) {
  ConstValue c;
  c.is_float = false;
  c.shape = std::move(shape);
  c.i = std::move(v);
  return c;
}

// Row-major strides of `shape`.
std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t k = shape.size(); k-- > 1;) s[k - 1] = s[k] * shape[k];
  return s;
}

Expected<ConstValue> fold_constant(ImportContext&, const onnx::NodeProto& n,
                                   const std::vector<const ConstValue*>&) {
  for (const auto& a : n.attribute()) {
    if (a.name() == "value") return decode_tensor(a.t(), n.output(0));
    ConstValue c;
    if (a.name() == "value_float") {
      c.f = {a.f()};
      return c;
    }
    if (a.name() == "value_floats") {
      c.f.assign(a.floats().begin(), a.floats().end());
      c.shape = {static_cast<int64_t>(c.f.size())};
      return c;
    }
    if (a.name() == "value_int") return make_ints({}, {a.i()});
    if (a.name() == "value_ints") {
      std::vector<int64_t> v(a.ints().begin(), a.ints().end());
      return make_vector(std::move(v));
    }
  }
  return unsupported(ImportContext::describe(n) +
                     ": only tensor, float(s) and int(s) values are supported");
}

Expected<ConstValue> fold_shape(ImportContext& ctx, const onnx::NodeProto& n,
                                const std::vector<const ConstValue*>&) {
  TANDEM_ASSIGN_OR_RETURN(Shape s, ctx.input_shape(n, 0));
  int64_t rank = static_cast<int64_t>(s.size());
  int64_t start = attr_int(n, "start", 0), end = attr_int(n, "end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  std::vector<int64_t> v(s.begin() + start, s.begin() + end);
  return make_vector(std::move(v));
}

Expected<ConstValue> fold_size(ImportContext& ctx, const onnx::NodeProto& n,
                               const std::vector<const ConstValue*>&) {
  TANDEM_ASSIGN_OR_RETURN(Shape s, ctx.input_shape(n, 0));
  return make_ints({}, {shape_elements(s)});
}

Expected<ConstValue> fold_identity(ImportContext&, const onnx::NodeProto&,
                                   const std::vector<const ConstValue*>& in) {
  return *in[0];
}

Expected<ConstValue> fold_cast(ImportContext&, const onnx::NodeProto& n,
                               const std::vector<const ConstValue*>& in) {
  int64_t to = attr_int(n, "to", onnx::TensorProto::FLOAT);
  ConstValue c;
  c.shape = in[0]->shape;
  if (to == onnx::TensorProto::FLOAT) {
    c.is_float = true;
    for (size_t k = 0; k < in[0]->size(); ++k)
      c.f.push_back(static_cast<float>(in[0]->as_double(k)));
  } else if (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32 ||
             to == onnx::TensorProto::BOOL) {
    c.is_float = false;
    for (size_t k = 0; k < in[0]->size(); ++k)
      c.i.push_back(to == onnx::TensorProto::BOOL ? in[0]->as_double(k) != 0 : in[0]->as_int(k));
  } else {
    return unsupported(ImportContext::describe(n) + ": cast to " +
                       elem_type_name(static_cast<int32_t>(to)) +
                       "; Tandem runs float32 graphs only");
  }
  return c;
}

Expected<ConstValue> fold_gather(ImportContext&, const onnx::NodeProto& n,
                                 const std::vector<const ConstValue*>& in) {
  const ConstValue& data = *in[0];
  const ConstValue& idx = *in[1];
  int64_t rank = static_cast<int64_t>(data.shape.size());
  if (rank == 0) return invalid_model(ImportContext::describe(n) + ": data is a scalar");
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(n, attr_int(n, "axis", 0), rank));
  int64_t dim = data.shape[static_cast<size_t>(axis)];
  Shape out_shape(data.shape.begin(), data.shape.begin() + axis);
  out_shape.insert(out_shape.end(), idx.shape.begin(), idx.shape.end());
  out_shape.insert(out_shape.end(), data.shape.begin() + axis + 1, data.shape.end());
  int64_t outer = shape_elements(Shape(data.shape.begin(), data.shape.begin() + axis));
  int64_t inner = shape_elements(Shape(data.shape.begin() + axis + 1, data.shape.end()));
  ConstValue c;
  c.is_float = data.is_float;
  c.shape = out_shape;
  for (int64_t o = 0; o < outer; ++o)
    for (size_t k = 0; k < idx.size(); ++k) {
      int64_t j = idx.as_int(k);
      if (j < 0) j += dim;
      if (j < 0 || j >= dim)
        return invalid_model(ImportContext::describe(n) + ": index " +
                             std::to_string(idx.as_int(k)) +
                             " is out of range for a dimension of " + std::to_string(dim));
      for (int64_t r = 0; r < inner; ++r) {
        size_t src = static_cast<size_t>((o * dim + j) * inner + r);
        if (c.is_float)
          c.f.push_back(data.f[src]);
        else
          c.i.push_back(data.i[src]);
      }
    }
  return c;
}

// Axes for Unsqueeze/Squeeze: an attribute before opset 13, an input since.
Expected<std::vector<int64_t>> axes_of(ImportContext& ctx, const onnx::NodeProto& n) {
  if (ctx.opset < 13 || !ctx.has_input(n, 1)) return attr_ints(n, "axes");
  return ctx.const_ints(n, 1, "axes");
}

Expected<ConstValue> fold_unsqueeze(ImportContext& ctx, const onnx::NodeProto& n,
                                    const std::vector<const ConstValue*>& in) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> axes, axes_of(ctx, n));
  int64_t out_rank = static_cast<int64_t>(in[0]->shape.size() + axes.size());
  std::vector<bool> is_new(static_cast<size_t>(out_rank), false);
  for (int64_t a : axes) {
    TANDEM_ASSIGN_OR_RETURN(int64_t ax, normalize_axis(n, a, out_rank));
    is_new[static_cast<size_t>(ax)] = true;
  }
  ConstValue c = *in[0];
  c.shape.clear();
  size_t src = 0;
  for (int64_t k = 0; k < out_rank; ++k)
    c.shape.push_back(is_new[static_cast<size_t>(k)] ? 1 : in[0]->shape[src++]);
  return c;
}

Expected<ConstValue> fold_squeeze(ImportContext& ctx, const onnx::NodeProto& n,
                                  const std::vector<const ConstValue*>& in) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> axes, axes_of(ctx, n));
  int64_t rank = static_cast<int64_t>(in[0]->shape.size());
  std::vector<bool> drop(static_cast<size_t>(rank), axes.empty());
  for (int64_t a : axes) {
    TANDEM_ASSIGN_OR_RETURN(int64_t ax, normalize_axis(n, a, rank));
    drop[static_cast<size_t>(ax)] = true;
  }
  ConstValue c = *in[0];
  c.shape.clear();
  for (int64_t k = 0; k < rank; ++k)
    if (!drop[static_cast<size_t>(k)] || in[0]->shape[static_cast<size_t>(k)] != 1)
      c.shape.push_back(in[0]->shape[static_cast<size_t>(k)]);
  return c;
}

Expected<ConstValue> fold_concat(ImportContext&, const onnx::NodeProto& n,
                                 const std::vector<const ConstValue*>& in) {
  int64_t rank = static_cast<int64_t>(in[0]->shape.size());
  TANDEM_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(n, attr_int(n, "axis", 0), rank));
  ConstValue c;
  c.is_float = std::any_of(in.begin(), in.end(), [](const ConstValue* v) { return v->is_float; });
  c.shape = in[0]->shape;
  c.shape[static_cast<size_t>(axis)] = 0;
  for (const ConstValue* v : in) {
    if (v->shape.size() != in[0]->shape.size())
      return invalid_model(ImportContext::describe(n) + ": inputs have different ranks");
    c.shape[static_cast<size_t>(axis)] += v->shape[static_cast<size_t>(axis)];
  }
  int64_t outer = shape_elements(Shape(c.shape.begin(), c.shape.begin() + axis));
  for (int64_t o = 0; o < outer; ++o)
    for (const ConstValue* v : in) {
      int64_t block = shape_elements(Shape(v->shape.begin() + axis, v->shape.end()));
      for (int64_t r = 0; r < block; ++r) {
        size_t src = static_cast<size_t>(o * block + r);
        if (c.is_float)
          c.f.push_back(static_cast<float>(v->as_double(src)));
        else
          c.i.push_back(v->i[src]);
      }
    }
  return c;
}

Expected<ConstValue> fold_reshape(ImportContext& ctx, const onnx::NodeProto& n,
                                  const std::vector<const ConstValue*>& in) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> target, ctx.const_ints(n, 1, "shape"));
  ConstValue c = *in[0];
  int64_t known = 1, infer = -1;
  for (size_t k = 0; k < target.size(); ++k) {
    if (target[k] == 0 && k < in[0]->shape.size()) target[k] = in[0]->shape[k];
    if (target[k] == -1)
      infer = static_cast<int64_t>(k);
    else
      known *= target[k];
  }
  if (infer >= 0 && known > 0)
    target[static_cast<size_t>(infer)] = static_cast<int64_t>(c.size()) / known;
  if (shape_elements(target) != static_cast<int64_t>(c.size()))
    return invalid_model(ImportContext::describe(n) + ": cannot reshape " +
                         shape_to_string(in[0]->shape) + " to " + shape_to_string(target));
  c.shape = target;
  return c;
}

Expected<ConstValue> fold_constant_of_shape(ImportContext&, const onnx::NodeProto& n,
                                            const std::vector<const ConstValue*>& in) {
  Shape shape;
  for (size_t k = 0; k < in[0]->size(); ++k) shape.push_back(in[0]->as_int(k));
  int64_t count = shape_elements(shape);
  if (count < 0 || count > (int64_t(1) << 24))
    return invalid_model(ImportContext::describe(n) + ": bad shape " + shape_to_string(shape));
  ConstValue c;
  c.shape = shape;
  const auto* a = find_attr(n, "value");
  ConstValue fill;
  if (a) {
    TANDEM_ASSIGN_OR_RETURN(fill, decode_tensor(a->t(), n.output(0)));
  } else {
    fill.f = {0.0f};
  }
  c.is_float = fill.is_float;
  if (c.is_float)
    c.f.assign(static_cast<size_t>(count), fill.f.at(0));
  else
    c.i.assign(static_cast<size_t>(count), fill.i.at(0));
  return c;
}

// Slice of a constant of any rank (Swin's shifted-window mask regions), with ONNX's
// clamping (graph/shape_util.h: slice_dims).
Expected<ConstValue> fold_slice(ImportContext& ctx, const onnx::NodeProto& n,
                                const std::vector<const ConstValue*>& in) {
  const ConstValue& data = *in[0];
  NodeAttrs a;
  TANDEM_ASSIGN_OR_RETURN(a.starts, ctx.const_ints(n, 1, "starts"));
  TANDEM_ASSIGN_OR_RETURN(a.ends, ctx.const_ints(n, 2, "ends"));
  if (ctx.has_input(n, 3)) {
    TANDEM_ASSIGN_OR_RETURN(a.axes, ctx.const_ints(n, 3, "axes"));
  } else {
    for (size_t k = 0; k < a.starts.size(); ++k) a.axes.push_back(static_cast<int64_t>(k));
  }
  if (ctx.has_input(n, 4)) {
    TANDEM_ASSIGN_OR_RETURN(a.steps, ctx.const_ints(n, 4, "steps"));
  } else {
    a.steps.assign(a.starts.size(), 1);
  }
  const int64_t rank = static_cast<int64_t>(data.shape.size());
  if (rank == 0 || a.ends.size() != a.starts.size() || a.axes.size() != a.starts.size() ||
      a.steps.size() != a.starts.size())
    return invalid_model(ImportContext::describe(n) + ": bad starts/ends/axes/steps");
  for (int64_t& ax : a.axes) {
    TANDEM_ASSIGN_OR_RETURN(ax, normalize_axis(n, ax, rank));
  }
  std::vector<SliceDim> dims;
  TANDEM_RETURN_IF_ERROR(slice_dims(a, data.shape, ImportContext::describe(n), &dims));
  ConstValue c;
  c.is_float = data.is_float;
  for (const SliceDim& d : dims) c.shape.push_back(d.count);
  const std::vector<int64_t> st = strides_of(data.shape);
  const int64_t total = shape_elements(c.shape);
  std::vector<int64_t> coord(dims.size(), 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t src = 0;
    for (size_t k = 0; k < dims.size(); ++k)
      src += (dims[k].start + coord[k] * dims[k].step) * st[k];
    if (c.is_float)
      c.f.push_back(data.f[static_cast<size_t>(src)]);
    else
      c.i.push_back(data.i[static_cast<size_t>(src)]);
    for (size_t k = dims.size(); k-- > 0;) {
      if (++coord[k] < c.shape[k]) break;
      coord[k] = 0;
    }
  }
  return c;
}

// Numpy-style broadcasting of two constants.
Expected<ConstValue> fold_binary(const onnx::NodeProto& n, const ConstValue& a, const ConstValue& b,
                                 const std::function<double(double, double)>& op) {
  size_t rank = std::max(a.shape.size(), b.shape.size());
  Shape as(rank - a.shape.size(), 1), bs(rank - b.shape.size(), 1), out(rank);
  as.insert(as.end(), a.shape.begin(), a.shape.end());
  bs.insert(bs.end(), b.shape.begin(), b.shape.end());
  for (size_t k = 0; k < rank; ++k) {
    if (as[k] != bs[k] && as[k] != 1 && bs[k] != 1)
      return invalid_model(ImportContext::describe(n) + ": shapes " + shape_to_string(a.shape) +
                           " and " + shape_to_string(b.shape) + " do not broadcast");
    out[k] = as[k] == 1 ? bs[k] : as[k];
  }
  std::vector<int64_t> sa = strides_of(as), sb = strides_of(bs), so = strides_of(out);
  ConstValue c;
  c.is_float = a.is_float || b.is_float;
  c.shape = out;
  int64_t total = shape_elements(out);
  for (int64_t idx = 0; idx < total; ++idx) {
    int64_t ia = 0, ib = 0, rem = idx;
    for (size_t k = 0; k < rank; ++k) {
      int64_t coord = rem / so[k];
      rem %= so[k];
      if (as[k] != 1) ia += coord * sa[k];
      if (bs[k] != 1) ib += coord * sb[k];
    }
    if (c.is_float) {
      c.f.push_back(static_cast<float>(
          op(a.as_double(static_cast<size_t>(ia)), b.as_double(static_cast<size_t>(ib)))));
    } else {
      c.i.push_back(static_cast<int64_t>(op(static_cast<double>(a.i[static_cast<size_t>(ia)]),
                                            static_cast<double>(b.i[static_cast<size_t>(ib)]))));
    }
  }
  return c;
}

Expected<ConstValue> fold_add(ImportContext&, const onnx::NodeProto& n,
                              const std::vector<const ConstValue*>& in) {
  return fold_binary(n, *in[0], *in[1], [](double x, double y) { return x + y; });
}
Expected<ConstValue> fold_sub(ImportContext&, const onnx::NodeProto& n,
                              const std::vector<const ConstValue*>& in) {
  return fold_binary(n, *in[0], *in[1], [](double x, double y) { return x - y; });
}
Expected<ConstValue> fold_mul(ImportContext&, const onnx::NodeProto& n,
                              const std::vector<const ConstValue*>& in) {
  return fold_binary(n, *in[0], *in[1], [](double x, double y) { return x * y; });
}
Expected<ConstValue> fold_div(ImportContext&, const onnx::NodeProto& n,
                              const std::vector<const ConstValue*>& in) {
  if (!in[0]->is_float && !in[1]->is_float)
    for (int64_t v : in[1]->i)
      if (v == 0) return invalid_model(ImportContext::describe(n) + ": integer division by zero");
  bool ints = !in[0]->is_float && !in[1]->is_float;
  return fold_binary(n, *in[0], *in[1],
                     [ints](double x, double y) { return ints ? std::trunc(x / y) : x / y; });
}

struct FoldEntry {
  const char* op_type;
  Fold fn;
  bool needs_const_inputs;  // false: reads only input shapes (Shape, Size) or nothing (Constant)
  bool fold_only;           // no mapping onto ops.def exists
};

constexpr FoldEntry kFolds[] = {
    {"Constant", fold_constant, false, true},
    {"Shape", fold_shape, false, true},
    {"Size", fold_size, false, true},
    {"Gather", fold_gather, true, false},  // on run-time data: the Gather op
    {"Unsqueeze", fold_unsqueeze, true, false},
    {"Squeeze", fold_squeeze, true, false},
    {"Concat", fold_concat, true, false},
    {"Cast", fold_cast, true, false},
    {"Reshape", fold_reshape, true, false},
    {"Identity", fold_identity, true, false},
    {"ConstantOfShape", fold_constant_of_shape, true, true},
    {"Slice", fold_slice, true, false},
    {"Add", fold_add, true, false},
    {"Sub", fold_sub, true, false},
    {"Mul", fold_mul, true, false},
    {"Div", fold_div, true, false},
    {"Expand", fold_expand, true, true},
    {"Equal", fold_equal, true, true},
    {"Where", fold_where, true, true},
    {"Range", fold_range, true, true},
    {"Not", fold_not, true, true},
    {"Mod", fold_mod, true, true},
    {"Transpose", fold_transpose, true, false},
    {"ScatterND", fold_scatter_nd, true, true},
};

const FoldEntry* find_fold(const std::string& op_type) {
  for (const FoldEntry& e : kFolds)
    if (op_type == e.op_type) return &e;
  return nullptr;
}

}  // namespace

bool is_fold_only_op(const std::string& op_type) {
  const FoldEntry* e = find_fold(op_type);
  return e && e->fold_only;
}

Expected<bool> try_fold(ImportContext& ctx, const onnx::NodeProto& n) {
  const FoldEntry* e = find_fold(n.op_type());
  if (!e) return false;
  std::vector<const ConstValue*> in;
  // Only the first (data) input must be known for ops whose other inputs are read with const_ints.
  for (int k = 0; k < n.input_size(); ++k) {
    if (n.input(k).empty()) {
      in.push_back(nullptr);
      continue;
    }
    const ConstValue* c = ctx.constant(n.input(k));
    if (!c && e->needs_const_inputs) {
      if (!e->fold_only) return false;  // a run-time op: the mapper takes it
      return unsupported(ImportContext::describe(n) + ": computes on run-time data (input '" +
                         n.input(k) +
                         "'); Tandem only evaluates it on values known at conversion time");
    }
    in.push_back(c);
  }
  if (e->needs_const_inputs && (in.empty() || !in[0]))
    return invalid_model(ImportContext::describe(n) + ": has no data input");
  if (n.output_size() < 1 || n.output(0).empty())
    return invalid_model(ImportContext::describe(n) + ": has no output");
  TANDEM_ASSIGN_OR_RETURN(ConstValue v, e->fn(ctx, n, in));
  ctx.shapes[n.output(0)] = v.shape;
  ctx.constants[n.output(0)] = std::move(v);
  ctx.folded_by_op[n.op_type()]++;
  return true;
}

}  // namespace tandem::onnx_import
