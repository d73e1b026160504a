// Expand, Equal, Where, Range, Not and ScatterND on values known at conversion
// time. Results larger than kMaxFoldElements are refused with the node's name:
// a folded value becomes an initializer, and a huge one means the model computes
// on data, not on shapes.
#include "formats/onnx/fold_broadcast.h"

#include <cmath>

namespace tandem::onnx_import {
namespace {

constexpr int64_t kMaxFoldElements = int64_t(1) << 24;

// Numpy broadcast of `shapes` (right-aligned), or an error naming `n`.
Expected<Shape> broadcast_all(const onnx::NodeProto& n, const std::vector<Shape>& shapes) {
  size_t rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const Shape& s : shapes)
    for (size_t k = 0; k < s.size(); ++k) {
      int64_t& o = out[rank - s.size() + k];
      int64_t d = s[k];
      if (d == o || d == 1) continue;
      if (o != 1) {
        std::string list;
        for (const Shape& t : shapes) list += (list.empty() ? "" : ", ") + shape_to_string(t);
        return invalid_model(ImportContext::describe(n) + ": shapes " + list + " do not broadcast");
      }
      o = d;
    }
  if (shape_elements(out) > kMaxFoldElements)
    return unsupported(ImportContext::describe(n) + ": result " + shape_to_string(out) +
                       " is too large to evaluate at conversion time");
  return out;
}

// Flat index into a value of shape `s` for output coordinate `coord` (of rank >= s's).
int64_t source_index(const Shape& s, const std::vector<int64_t>& coord) {
  int64_t idx = 0;
  size_t lead = coord.size() - s.size();
  for (size_t k = 0; k < s.size(); ++k) idx = idx * s[k] + (s[k] == 1 ? 0 : coord[lead + k]);
  return idx;
}

// Calls f(flat output index, index into each input) over `out`.
template <typename F>
void for_each_broadcast(const Shape& out, const std::vector<Shape>& ins, F f) {
  std::vector<int64_t> coord(out.size(), 0);
  std::vector<int64_t> src(ins.size());
  const int64_t total = shape_elements(out);
  for (int64_t i = 0; i < total; ++i) {
    for (size_t k = 0; k < ins.size(); ++k) src[k] = source_index(ins[k], coord);
    f(i, src);
    for (size_t d = out.size(); d-- > 0;) {
      if (++coord[d] < out[d]) break;
      coord[d] = 0;
    }
  }
}

void push(ConstValue& c, const ConstValue& from, int64_t k) {
  if (c.is_float)
    c.f.push_back(static_cast<float>(from.as_double(static_cast<size_t>(k))));
  else
    c.i.push_back(from.as_int(static_cast<size_t>(k)));
}

}  // namespace

Expected<ConstValue> fold_expand(ImportContext& ctx, const onnx::NodeProto& n,
                                 const FoldInputs& in) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ctx.const_ints(n, 1, "shape"));
  for (int64_t d : shape)
    if (d < 0) return invalid_model(ImportContext::describe(n) + ": negative dimension in shape");
  TANDEM_ASSIGN_OR_RETURN(Shape out, broadcast_all(n, {in[0]->shape, shape}));
  ConstValue c;
  c.is_float = in[0]->is_float;
  c.shape = out;
  for_each_broadcast(out, {in[0]->shape},
                     [&](int64_t, const std::vector<int64_t>& s) { push(c, *in[0], s[0]); });
  return c;
}

Expected<ConstValue> fold_equal(ImportContext&, const onnx::NodeProto& n, const FoldInputs& in) {
  TANDEM_ASSIGN_OR_RETURN(Shape out, broadcast_all(n, {in[0]->shape, in[1]->shape}));
  ConstValue c;
  c.is_float = false;  // bool
  c.shape = out;
  const bool ints = !in[0]->is_float && !in[1]->is_float;
  for_each_broadcast(
      out, {in[0]->shape, in[1]->shape}, [&](int64_t, const std::vector<int64_t>& s) {
        size_t a = static_cast<size_t>(s[0]), b = static_cast<size_t>(s[1]);
        bool eq = ints ? in[0]->i[a] == in[1]->i[b] : in[0]->as_double(a) == in[1]->as_double(b);
        c.i.push_back(eq ? 1 : 0);
      });
  return c;
}

Expected<ConstValue> fold_where(ImportContext&, const onnx::NodeProto& n, const FoldInputs& in) {
  if (in.size() != 3 || !in[1] || !in[2])
    return invalid_model(ImportContext::describe(n) + ": needs condition, X and Y");
  TANDEM_ASSIGN_OR_RETURN(Shape out, broadcast_all(n, {in[0]->shape, in[1]->shape, in[2]->shape}));
  ConstValue c;
  c.is_float = in[1]->is_float || in[2]->is_float;
  c.shape = out;
  for_each_broadcast(out, {in[0]->shape, in[1]->shape, in[2]->shape},
                     [&](int64_t, const std::vector<int64_t>& s) {
                       bool cond = in[0]->as_double(static_cast<size_t>(s[0])) != 0;
                       push(c, cond ? *in[1] : *in[2], cond ? s[1] : s[2]);
                     });
  return c;
}

Expected<ConstValue> fold_range(ImportContext&, const onnx::NodeProto& n, const FoldInputs& in) {
  if (in.size() != 3 || !in[1] || !in[2] || in[0]->size() != 1 || in[1]->size() != 1 ||
      in[2]->size() != 1)
    return invalid_model(ImportContext::describe(n) + ": start, limit and delta must be scalars");
  ConstValue c;
  c.is_float = in[0]->is_float || in[1]->is_float || in[2]->is_float;
  const double start = in[0]->as_double(0), limit = in[1]->as_double(0),
               delta = in[2]->as_double(0);
  if (delta == 0) return invalid_model(ImportContext::describe(n) + ": delta is 0");
  const double count = std::max(0.0, std::ceil((limit - start) / delta));
  if (count > double(kMaxFoldElements))
    return unsupported(ImportContext::describe(n) + ": " + std::to_string(count) +
                       " elements are too many to evaluate at conversion time");
  for (int64_t k = 0; k < static_cast<int64_t>(count); ++k) {
    if (c.is_float)
      c.f.push_back(static_cast<float>(start + double(k) * delta));
    else
      c.i.push_back(in[0]->as_int(0) + k * in[2]->as_int(0));
  }
  c.shape = {static_cast<int64_t>(count)};
  return c;
}

// ONNX Mod: fmod=0 takes the divisor's sign (Python's %), fmod=1 the dividend's (C's fmod).
Expected<ConstValue> fold_mod(ImportContext&, const onnx::NodeProto& n, const FoldInputs& in) {
  TANDEM_ASSIGN_OR_RETURN(Shape out, broadcast_all(n, {in[0]->shape, in[1]->shape}));
  const bool fmod = attr_int(n, "fmod", 0) != 0;
  ConstValue c;
  c.is_float = in[0]->is_float || in[1]->is_float;
  c.shape = out;
  Status bad;
  for_each_broadcast(
      out, {in[0]->shape, in[1]->shape}, [&](int64_t, const std::vector<int64_t>& s) {
        const size_t a = static_cast<size_t>(s[0]), b = static_cast<size_t>(s[1]);
        if (c.is_float) {
          const double x = in[0]->as_double(a), y = in[1]->as_double(b);
          double r = std::fmod(x, y);
          if (!fmod && r != 0 && ((r < 0) != (y < 0))) r += y;
          c.f.push_back(static_cast<float>(r));
          return;
        }
        const int64_t x = in[0]->i[a], y = in[1]->i[b];
        if (y == 0) {
          bad = invalid_model(ImportContext::describe(n) + ": integer modulo by zero");
          c.i.push_back(0);
          return;
        }
        int64_t r = x % y;
        if (!fmod && r != 0 && ((r < 0) != (y < 0))) r += y;
        c.i.push_back(r);
      });
  if (!bad.ok()) return bad;
  return c;
}

Expected<ConstValue> fold_transpose(ImportContext&, const onnx::NodeProto& n,
                                    const FoldInputs& in) {
  const ConstValue& x = *in[0];
  const size_t rank = x.shape.size();
  std::vector<int64_t> perm = attr_ints(n, "perm");
  if (perm.empty())
    for (size_t k = rank; k-- > 0;) perm.push_back(static_cast<int64_t>(k));
  std::vector<bool> seen(rank, false);
  for (int64_t& p : perm) {
    TANDEM_ASSIGN_OR_RETURN(p, normalize_axis(n, p, static_cast<int64_t>(rank)));
    if (seen[static_cast<size_t>(p)])
      return invalid_model(ImportContext::describe(n) + ": perm repeats an axis");
    seen[static_cast<size_t>(p)] = true;
  }
  if (perm.size() != rank)
    return invalid_model(ImportContext::describe(n) + ": perm does not match the rank");
  std::vector<int64_t> st(rank, 1);
  for (size_t k = rank; k-- > 1;) st[k - 1] = st[k] * x.shape[k];
  ConstValue c;
  c.is_float = x.is_float;
  for (int64_t p : perm) c.shape.push_back(x.shape[static_cast<size_t>(p)]);
  std::vector<int64_t> coord(rank, 0);
  const int64_t total = shape_elements(c.shape);
  for (int64_t i = 0; i < total; ++i) {
    int64_t src = 0;
    for (size_t k = 0; k < rank; ++k) src += coord[k] * st[static_cast<size_t>(perm[k])];
    push(c, x, src);
    for (size_t k = rank; k-- > 0;) {
      if (++coord[k] < c.shape[k]) break;
      coord[k] = 0;
    }
  }
  return c;
}

Expected<ConstValue> fold_not(ImportContext&, const onnx::NodeProto&, const FoldInputs& in) {
  ConstValue c;
  c.is_float = false;
  c.shape = in[0]->shape;
  for (size_t k = 0; k < in[0]->size(); ++k) c.i.push_back(in[0]->as_double(k) == 0 ? 1 : 0);
  return c;
}

// data[indices[...]] = updates[...], indices' last dimension addressing the leading
// dims of data (ONNX ScatterND, reduction none).
Expected<ConstValue> fold_scatter_nd(ImportContext&, const onnx::NodeProto& n,
                                     const FoldInputs& in) {
  if (in.size() < 3 || !in[1] || !in[2])
    return invalid_model(ImportContext::describe(n) + ": needs data, indices and updates");
  if (attr_string(n, "reduction", "none") != "none")
    return unsupported(ImportContext::describe(n) + ": reduction '" +
                       attr_string(n, "reduction", "") + "'");
  const ConstValue &data = *in[0], &idx = *in[1], &upd = *in[2];
  if (idx.shape.empty() || idx.is_float)
    return invalid_model(ImportContext::describe(n) + ": indices must be integers of rank >= 1");
  const size_t q = static_cast<size_t>(idx.shape.back());
  if (q > data.shape.size())
    return invalid_model(ImportContext::describe(n) + ": index tuples longer than data's rank");
  const int64_t slice = shape_elements(Shape(data.shape.begin() + q, data.shape.end()));
  const int64_t tuples = static_cast<int64_t>(idx.size()) / std::max<int64_t>(1, int64_t(q));
  if (q == 0 || static_cast<int64_t>(upd.size()) != tuples * slice)
    return invalid_model(ImportContext::describe(n) + ": updates do not match the indices");
  ConstValue c = data;
  c.is_float = data.is_float;
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = 0;
    for (size_t k = 0; k < q; ++k) {
      int64_t dim = data.shape[k], j = idx.i[size_t(t) * q + k];
      if (j < 0) j += dim;
      if (j < 0 || j >= dim)
        return invalid_model(ImportContext::describe(n) + ": index " + std::to_string(j) +
                             " out of range for a dimension of " + std::to_string(dim));
      off = off * dim + j;
    }
    for (int64_t r = 0; r < slice; ++r) {
      size_t dst = static_cast<size_t>(off * slice + r), src = static_cast<size_t>(t * slice + r);
      if (c.is_float)
        c.f[dst] = static_cast<float>(upd.as_double(src));
      else
        c.i[dst] = upd.as_int(src);
    }
  }
  return c;
}

}  // namespace tandem::onnx_import
