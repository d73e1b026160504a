#include "graph/shape_util.h"

#include <algorithm>
#include <string>

namespace tandem {

bool normalize_axis(int64_t axis, int64_t rank, int64_t* out) {
  if (axis < -rank || axis >= rank) return false;
  *out = axis < 0 ? axis + rank : axis;
  return true;
}

bool broadcast_shapes(const Shape& a, const Shape& b, Shape* out) {
  const size_t rank = std::max(a.size(), b.size());
  Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Right-aligned: missing leading dims count as 1.
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1) {
      result[i] = da;
    } else if (da == 1) {
      result[i] = db;
    } else {
      return false;
    }
  }
  *out = std::move(result);
  return true;
}

int64_t dims_product(const Shape& shape, size_t first, size_t last) {
  int64_t p = 1;
  for (size_t i = first; i < last && i < shape.size(); ++i) p *= shape[i];
  return p;
}

std::vector<int64_t> row_major_strides(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> s(out.size(), 0);
  std::vector<int64_t> own = row_major_strides(in);
  const size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) s[lead + i] = in[i] == 1 ? 0 : own[i];
  return s;
}

namespace {

Status read_pair(const std::vector<int64_t>& v, const char* name, int64_t lo,
                 const std::string& what, int64_t* first, int64_t* second) {
  if (v.empty()) return Status();
  if (v.size() != 2)
    return invalid_model(what + ": " + name + " has " + std::to_string(v.size()) +
                         " entries, expected 2");
  for (int64_t x : v)
    if (x < lo || x > kMaxDim)
      return invalid_model(what + ": " + name + " value " + std::to_string(x) + " out of range");
  *first = v[0];
  *second = v[1];
  return Status();
}

}  // namespace

Status window2d(const NodeAttrs& a, int64_t kh, int64_t kw, const std::string& what,
                Window2d* out) {
  Window2d w;
  w.kh = kh;
  w.kw = kw;
  TANDEM_RETURN_IF_ERROR(read_pair(a.strides, "strides", 1, what, &w.sh, &w.sw));
  TANDEM_RETURN_IF_ERROR(read_pair(a.dilations, "dilations", 1, what, &w.dh, &w.dw));
  if (!a.pads.empty()) {
    if (a.pads.size() != 4)
      return invalid_model(what + ": pads has " + std::to_string(a.pads.size()) +
                           " entries, expected 4 [top, left, bottom, right]");
    for (int64_t p : a.pads)
      if (p < 0 || p > kMaxDim)
        return invalid_model(what + ": pad value " + std::to_string(p) + " out of range");
    w.pad_top = a.pads[0];
    w.pad_left = a.pads[1];
    w.pad_bottom = a.pads[2];
    w.pad_right = a.pads[3];
  }
  *out = w;
  return Status();
}

int64_t conv_output_dim(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                        int64_t pad_begin, int64_t pad_end) {
  const int64_t span = (kernel - 1) * dilation + 1;
  const int64_t room = in + pad_begin + pad_end - span;
  if (room < 0) return 0;
  return room / stride + 1;
}

int64_t pool_output_dim(int64_t in, int64_t kernel, int64_t stride, int64_t dilation,
                        int64_t pad_begin, int64_t pad_end, bool ceil_mode) {
  const int64_t span = (kernel - 1) * dilation + 1;
  const int64_t room = in + pad_begin + pad_end - span;
  if (room < 0) return 0;
  int64_t out = (ceil_mode ? (room + stride - 1) / stride : room / stride) + 1;
  // The last window must start inside the input or the begin pad.
  if (ceil_mode && (out - 1) * stride >= in + pad_begin) --out;
  return out;
}

Status slice_dims(const NodeAttrs& a, const Shape& in, const std::string& what,
                  std::vector<SliceDim>* out) {
  const int64_t rank = static_cast<int64_t>(in.size());
  std::vector<SliceDim> dims(in.size());
  for (size_t i = 0; i < in.size(); ++i) dims[i] = SliceDim{0, 1, in[i]};
  const size_t n = a.starts.size();
  if (a.ends.size() != n)
    return invalid_model(what + ": Slice has " + std::to_string(n) + " starts but " +
                         std::to_string(a.ends.size()) + " ends");
  if (!a.axes.empty() && a.axes.size() != n)
    return invalid_model(what + ": Slice axes has " + std::to_string(a.axes.size()) +
                         " entries, starts has " + std::to_string(n));
  if (!a.steps.empty() && a.steps.size() != n)
    return invalid_model(what + ": Slice steps has " + std::to_string(a.steps.size()) +
                         " entries, starts has " + std::to_string(n));
  if (a.axes.empty() && static_cast<int64_t>(n) > rank)
    return invalid_model(what + ": Slice has more starts than the input has dims");
  std::vector<bool> seen(in.size(), false);
  for (size_t k = 0; k < n; ++k) {
    const int64_t raw_axis = a.axes.empty() ? static_cast<int64_t>(k) : a.axes[k];
    int64_t axis = 0;
    if (!normalize_axis(raw_axis, rank, &axis))
      return invalid_model(what + ": Slice axis " + std::to_string(raw_axis) +
                           " out of range for rank " + std::to_string(rank));
    if (seen[static_cast<size_t>(axis)])
      return invalid_model(what + ": Slice axis " + std::to_string(axis) + " repeated");
    seen[static_cast<size_t>(axis)] = true;
    const int64_t dim = in[static_cast<size_t>(axis)];
    int64_t step = a.steps.empty() ? 1 : a.steps[k];
    if (step == 0) return invalid_model(what + ": Slice step is 0");
    // Any |step| > dim picks at most one element; clamping avoids overflow.
    step = std::clamp(step, -(dim + 1), dim + 1);
    int64_t start = a.starts[k];
    int64_t end = a.ends[k];
    // Clamp before adding dim so that INT64 extremes cannot overflow.
    start = std::clamp(start, -dim - 1, dim + 1);
    end = std::clamp(end, -dim - 1, dim + 1);
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    int64_t count;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      count = end > start ? (end - start + step - 1) / step : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      count = start > end ? (start - end + (-step) - 1) / (-step) : 0;
    }
    if (dim == 0) count = 0;
    dims[static_cast<size_t>(axis)] = SliceDim{start, step, count};
  }
  *out = std::move(dims);
  return Status();
}

Status split_sizes(const NodeAttrs& a, int64_t dim, size_t outputs, const std::string& what,
                   std::vector<int64_t>* out) {
  if (outputs == 0) return invalid_model(what + ": Split has no outputs");
  std::vector<int64_t> sizes;
  if (!a.split.empty()) {
    if (a.split.size() != outputs)
      return invalid_model(what + ": Split has " + std::to_string(a.split.size()) + " sizes but " +
                           std::to_string(outputs) + " outputs");
    int64_t sum = 0;
    for (int64_t s : a.split) {
      if (s < 0 || s > kMaxDim)
        return invalid_model(what + ": Split size " + std::to_string(s) + " out of range");
      sum += s;
    }
    if (sum != dim)
      return invalid_model(what + ": Split sizes sum to " + std::to_string(sum) +
                           " but the axis has " + std::to_string(dim));
    sizes = a.split;
  } else {
    const int64_t k = static_cast<int64_t>(outputs);
    const int64_t chunk = (dim + k - 1) / k;
    const int64_t last = dim - chunk * (k - 1);
    if (last < 0)
      return invalid_model(what + ": cannot split an axis of " + std::to_string(dim) + " into " +
                           std::to_string(k) + " outputs");
    sizes.assign(outputs, chunk);
    sizes.back() = last;
  }
  *out = std::move(sizes);
  return Status();
}

}  // namespace tandem
