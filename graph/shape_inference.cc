#include "graph/shape_inference.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "graph/shape_util.h"

namespace tandem {
namespace {

// What one op's inference sees: its node, input shapes (nullptr for an
// absent optional input) and a prefix naming the node for errors.
struct Ctx {
  const Node& n;
  std::vector<const Shape*> in;
  std::string what;

  Status fail(const std::string& msg) const { return invalid_model(what + ": " + msg); }
  const Shape& s(size_t i) const { return *in[i]; }
  int64_t rank(size_t i) const { return static_cast<int64_t>(in[i]->size()); }
};

std::string str(const Shape& s) {
  return shape_to_string(s);
}
std::string num(int64_t v) {
  return std::to_string(v);
}

// Checks input/output counts; inputs in [min_in, max_in] of which the first
// `required` must be present.
Status check_arity(const Ctx& c, size_t min_in, size_t max_in, size_t required, size_t outputs) {
  const size_t n_in = c.in.size();
  if (n_in < min_in || n_in > max_in)
    return c.fail("has " + std::to_string(n_in) + " inputs, expected " +
                  (min_in == max_in ? std::to_string(min_in)
                                    : std::to_string(min_in) + ".." + std::to_string(max_in)));
  for (size_t i = 0; i < std::min(required, n_in); ++i)
    if (!c.in[i]) return c.fail("required input " + std::to_string(i) + " is absent");
  if (outputs != 0 && c.n.outputs.size() != outputs)
    return c.fail("has " + std::to_string(c.n.outputs.size()) + " outputs, expected " +
                  std::to_string(outputs));
  return Status();
}

Status check_rank(const Ctx& c, size_t i, int64_t rank, const char* name) {
  if (c.rank(i) != rank)
    return c.fail(std::string(name) + " has shape " + str(c.s(i)) + ", expected rank " + num(rank));
  return Status();
}

Status infer_unary(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  out->push_back(c.s(0));
  return Status();
}

Status infer_binary(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 2, 2, 2, 1));
  Shape r;
  if (!broadcast_shapes(c.s(0), c.s(1), &r))
    return c.fail("inputs " + str(c.s(0)) + " and " + str(c.s(1)) + " do not broadcast");
  out->push_back(std::move(r));
  return Status();
}

Status infer_conv(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 2, 3, 2, 1));
  TANDEM_RETURN_IF_ERROR(check_rank(c, 0, 4, "input X"));
  TANDEM_RETURN_IF_ERROR(check_rank(c, 1, 4, "weight W"));
  const Shape& x = c.s(0);
  const Shape& w = c.s(1);
  const NodeAttrs& a = c.n.attrs;
  const int64_t g = a.group;
  if (g < 1 || g > kMaxDim) return c.fail("group " + num(g) + " out of range");
  if (x[1] % g != 0)
    return c.fail("input channels " + num(x[1]) + " not divisible by group " + num(g));
  if (w[0] % g != 0)
    return c.fail("output channels " + num(w[0]) + " not divisible by group " + num(g));
  if (w[1] * g != x[1])
    return c.fail("weight " + str(w) + " expects " + num(w[1] * g) + " input channels (group " +
                  num(g) + "), input X " + str(x) + " has " + num(x[1]));
  if (w[2] < 1 || w[3] < 1) return c.fail("weight " + str(w) + " has an empty kernel");
  if (!a.kernel_shape.empty() &&
      (a.kernel_shape.size() != 2 || a.kernel_shape[0] != w[2] || a.kernel_shape[1] != w[3]))
    return c.fail("kernel_shape disagrees with weight " + str(w));
  if (c.in.size() == 3 && c.in[2]) {
    if (c.s(2) != Shape{w[0]})
      return c.fail("bias has shape " + str(c.s(2)) + ", expected " + num(w[0]));
  }
  Window2d win;
  TANDEM_RETURN_IF_ERROR(window2d(a, w[2], w[3], c.what, &win));
  const int64_t oh = conv_output_dim(x[2], win.kh, win.sh, win.dh, win.pad_top, win.pad_bottom);
  const int64_t ow = conv_output_dim(x[3], win.kw, win.sw, win.dw, win.pad_left, win.pad_right);
  if (oh < 1 || ow < 1)
    return c.fail("kernel " + num(w[2]) + "x" + num(w[3]) +
                  " (dilated) is larger than the padded input " + str(x));
  out->push_back({x[0], w[0], oh, ow});
  return Status();
}

Status infer_batch_norm(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 5, 5, 5, 1));
  if (c.rank(0) < 2) return c.fail("input X has shape " + str(c.s(0)) + ", expected rank >= 2");
  const int64_t ch = c.s(0)[1];
  static const char* kNames[] = {"", "scale", "B", "mean", "var"};
  for (size_t i = 1; i < 5; ++i)
    if (c.s(i) != Shape{ch})
      return c.fail(std::string(kNames[i]) + " has shape " + str(c.s(i)) + ", expected " + num(ch) +
                    " (the channels of X)");
  if (!(c.n.attrs.epsilon >= 0)) return c.fail("epsilon must be >= 0");
  out->push_back(c.s(0));
  return Status();
}

Status infer_pool(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  TANDEM_RETURN_IF_ERROR(check_rank(c, 0, 4, "input X"));
  const NodeAttrs& a = c.n.attrs;
  if (a.kernel_shape.size() != 2)
    return c.fail("kernel_shape has " + std::to_string(a.kernel_shape.size()) +
                  " entries, expected 2");
  for (int64_t k : a.kernel_shape)
    if (k < 1 || k > kMaxDim) return c.fail("kernel_shape value " + num(k) + " out of range");
  Window2d w;
  TANDEM_RETURN_IF_ERROR(window2d(a, a.kernel_shape[0], a.kernel_shape[1], c.what, &w));
  // A pad as large as the window would give windows that see only padding.
  if (w.pad_top >= w.kh || w.pad_bottom >= w.kh || w.pad_left >= w.kw || w.pad_right >= w.kw)
    return c.fail("pads must be smaller than the kernel");
  const Shape& x = c.s(0);
  const int64_t oh = pool_output_dim(x[2], w.kh, w.sh, w.dh, w.pad_top, w.pad_bottom, a.ceil_mode);
  const int64_t ow = pool_output_dim(x[3], w.kw, w.sw, w.dw, w.pad_left, w.pad_right, a.ceil_mode);
  if (oh < 1 || ow < 1)
    return c.fail("kernel " + num(w.kh) + "x" + num(w.kw) + " is larger than the padded input " +
                  str(x));
  out->push_back({x[0], x[1], oh, ow});
  return Status();
}

Status infer_global_pool(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  if (c.rank(0) < 3) return c.fail("input X has shape " + str(c.s(0)) + ", expected rank >= 3");
  Shape r = c.s(0);
  std::fill(r.begin() + 2, r.end(), 1);
  out->push_back(std::move(r));
  return Status();
}

Status infer_reduce_mean(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  const Shape& x = c.s(0);
  const int64_t rank = c.rank(0);
  std::vector<bool> reduce(x.size(), c.n.attrs.axes.empty());
  for (int64_t axis : c.n.attrs.axes) {
    int64_t ax = 0;
    if (!normalize_axis(axis, rank, &ax))
      return c.fail("axis " + num(axis) + " out of range for " + str(x));
    if (reduce[static_cast<size_t>(ax)]) return c.fail("axis " + num(axis) + " repeated");
    reduce[static_cast<size_t>(ax)] = true;
  }
  Shape r;
  for (size_t i = 0; i < x.size(); ++i) {
    if (reduce[i] && x[i] == 0) return c.fail("reduces over an empty axis of " + str(x));
    if (!reduce[i]) {
      r.push_back(x[i]);
    } else if (c.n.attrs.keepdims) {
      r.push_back(1);
    }
  }
  out->push_back(std::move(r));
  return Status();
}

Status infer_concat(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, SIZE_MAX, c.in.size(), 1));
  const Shape& first = c.s(0);
  int64_t axis = 0;
  if (!normalize_axis(c.n.attrs.axis, c.rank(0), &axis))
    return c.fail("axis " + num(c.n.attrs.axis) + " out of range for " + str(first));
  Shape r = first;
  r[static_cast<size_t>(axis)] = 0;
  for (size_t i = 0; i < c.in.size(); ++i) {
    const Shape& s = c.s(i);
    bool ok = s.size() == first.size();
    for (size_t d = 0; ok && d < s.size(); ++d)
      if (d != static_cast<size_t>(axis) && s[d] != first[d]) ok = false;
    if (!ok)
      return c.fail("input " + std::to_string(i) + " has shape " + str(s) + ", incompatible with " +
                    str(first) + " along axis " + num(axis));
    r[static_cast<size_t>(axis)] += s[static_cast<size_t>(axis)];
  }
  out->push_back(std::move(r));
  return Status();
}

Status infer_split(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 0));
  int64_t axis = 0;
  if (!normalize_axis(c.n.attrs.axis, c.rank(0), &axis))
    return c.fail("axis " + num(c.n.attrs.axis) + " out of range for " + str(c.s(0)));
  std::vector<int64_t> sizes;
  TANDEM_RETURN_IF_ERROR(split_sizes(c.n.attrs, c.s(0)[static_cast<size_t>(axis)],
                                     c.n.outputs.size(), c.what, &sizes));
  for (int64_t size : sizes) {
    Shape r = c.s(0);
    r[static_cast<size_t>(axis)] = size;
    out->push_back(std::move(r));
  }
  return Status();
}

Status infer_slice(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  std::vector<SliceDim> dims;
  TANDEM_RETURN_IF_ERROR(slice_dims(c.n.attrs, c.s(0), c.what, &dims));
  Shape r;
  for (const SliceDim& d : dims) r.push_back(d.count);
  out->push_back(std::move(r));
  return Status();
}

Status infer_transpose(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  const Shape& x = c.s(0);
  std::vector<int64_t> perm = c.n.attrs.perm;
  if (perm.empty())
    for (size_t i = x.size(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  if (perm.size() != x.size())
    return c.fail("perm has " + std::to_string(perm.size()) + " entries for input " + str(x));
  std::vector<bool> seen(x.size(), false);
  Shape r;
  for (int64_t p : perm) {
    if (p < 0 || p >= c.rank(0) || seen[static_cast<size_t>(p)])
      return c.fail("perm is not a permutation of 0.." + num(c.rank(0) - 1));
    seen[static_cast<size_t>(p)] = true;
    r.push_back(x[static_cast<size_t>(p)]);
  }
  out->push_back(std::move(r));
  return Status();
}

Status infer_reshape(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  const Shape& x = c.s(0);
  const int64_t total = shape_elements(x);
  Shape r;
  int infer_at = -1;
  int64_t known = 1;
  for (size_t i = 0; i < c.n.attrs.shape.size(); ++i) {
    int64_t d = c.n.attrs.shape[i];
    if (d == 0) {
      // ONNX (allowzero = 0): 0 copies the input's dim at the same index.
      if (i >= x.size())
        return c.fail("shape entry " + std::to_string(i) + " is 0 but input " + str(x) +
                      " has no such dim");
      d = x[i];
    } else if (d == -1) {
      if (infer_at >= 0) return c.fail("shape has more than one -1");
      infer_at = static_cast<int>(i);
      r.push_back(1);
      continue;
    } else if (d < -1 || d > kMaxDim) {
      return c.fail("shape entry " + num(d) + " out of range");
    }
    // Checked before multiplying: known <= 2^40 times d <= 2^31 could overflow.
    if (d != 0 && known > kMaxElements / d) return c.fail("target shape is too large");
    known *= d;
    r.push_back(d);
  }
  if (infer_at >= 0) {
    if (known == 0 || total % known != 0)
      return c.fail("cannot infer the -1 in the target shape for input " + str(x));
    r[static_cast<size_t>(infer_at)] = total / known;
  } else if (known != total) {
    return c.fail("target shape " + str(r) + " has " + num(known) + " elements, input " + str(x) +
                  " has " + num(total));
  }
  out->push_back(std::move(r));
  return Status();
}

Status infer_flatten(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  const Shape& x = c.s(0);
  int64_t axis = c.n.attrs.axis;
  if (axis < 0) axis += c.rank(0);
  if (axis < 0 || axis > c.rank(0))
    return c.fail("axis " + num(c.n.attrs.axis) + " out of range for " + str(x));
  const size_t ax = static_cast<size_t>(axis);
  out->push_back({dims_product(x, 0, ax), dims_product(x, ax, x.size())});
  return Status();
}

Status infer_gemm(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 2, 3, 2, 1));
  TANDEM_RETURN_IF_ERROR(check_rank(c, 0, 2, "input A"));
  TANDEM_RETURN_IF_ERROR(check_rank(c, 1, 2, "input B"));
  const NodeAttrs& a = c.n.attrs;
  const Shape& sa = c.s(0);
  const Shape& sb = c.s(1);
  const int64_t m = a.trans_a ? sa[1] : sa[0];
  const int64_t ka = a.trans_a ? sa[0] : sa[1];
  const int64_t kb = a.trans_b ? sb[1] : sb[0];
  const int64_t n = a.trans_b ? sb[0] : sb[1];
  if (ka != kb)
    return c.fail("A " + str(sa) + (a.trans_a ? "^T" : "") + " and B " + str(sb) +
                  (a.trans_b ? "^T" : "") + " disagree on K (" + num(ka) + " vs " + num(kb) + ")");
  Shape r{m, n};
  if (c.in.size() == 3 && c.in[2]) {
    // C broadcasts one way, to [M, N].
    Shape b;
    if (c.rank(2) > 2 || !broadcast_shapes(r, c.s(2), &b) || b != r)
      return c.fail("C has shape " + str(c.s(2)) + ", which does not broadcast to " + str(r));
  }
  out->push_back(std::move(r));
  return Status();
}

Status infer_matmul(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 2, 2, 2, 1));
  Shape a = c.s(0);
  Shape b = c.s(1);
  if (a.empty() || b.empty())
    return c.fail("inputs must have rank >= 1, got " + str(a) + " and " + str(b));
  const bool a_vec = a.size() == 1;
  const bool b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  if (a[a.size() - 1] != b[b.size() - 2])
    return c.fail("inputs " + str(c.s(0)) + " and " + str(c.s(1)) + " disagree on K");
  Shape batch;
  if (!broadcast_shapes(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2), &batch))
    return c.fail("batch dims of " + str(c.s(0)) + " and " + str(c.s(1)) + " do not broadcast");
  Shape r = batch;
  if (!a_vec) r.push_back(a[a.size() - 2]);
  if (!b_vec) r.push_back(b.back());
  out->push_back(std::move(r));
  return Status();
}

Status infer_softmax(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  int64_t axis = 0;
  if (!normalize_axis(c.n.attrs.axis, c.rank(0), &axis))
    return c.fail("axis " + num(c.n.attrs.axis) + " out of range for " + str(c.s(0)));
  out->push_back(c.s(0));
  return Status();
}

Status infer_pad(const Ctx& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  const Shape& x = c.s(0);
  const std::vector<int64_t>& pads = c.n.attrs.pads;
  if (pads.size() != 2 * x.size())
    return c.fail("pads has " + std::to_string(pads.size()) + " entries, expected " +
                  std::to_string(2 * x.size()) + " for input " + str(x));
  Shape r(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const int64_t begin = pads[i];
    const int64_t end = pads[i + x.size()];
    if (begin < -kMaxDim || begin > kMaxDim || end < -kMaxDim || end > kMaxDim)
      return c.fail("pad value out of range");
    r[i] = x[i] + begin + end;
    if (r[i] < 0)
      return c.fail("negative pads crop more than dim " + std::to_string(i) + " of " + str(x) +
                    " holds");
    if (c.n.attrs.pad_mode == PadMode::kReflect && (begin >= x[i] || end >= x[i]) &&
        (begin > 0 || end > 0))
      return c.fail("reflect pads must be smaller than dim " + std::to_string(i) + " of " + str(x));
    if (c.n.attrs.pad_mode == PadMode::kEdge && x[i] == 0 && (begin > 0 || end > 0))
      return c.fail("edge padding of an empty dim");
  }
  out->push_back(std::move(r));
  return Status();
}

}  // namespace

Status infer_node_shapes(const Graph& g, const Node& n, std::vector<Shape>* out_shapes) {
  Ctx c{n, {}, "node '" + n.name + "' (" + std::string(op_name(n.op)) + ")"};
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const int id = n.inputs[i];
    if (id == -1) {
      c.in.push_back(nullptr);
      continue;
    }
    if (!g.valid_tensor(id))
      return c.fail("input " + std::to_string(i) + " is tensor id " + std::to_string(id) +
                    ", which does not exist");
    const Tensor& t = g.tensor(id);
    for (int64_t d : t.shape)
      if (d < 0 || d > kMaxDim)
        return c.fail("input '" + t.name + "' has an invalid dim " + num(d));
    if (shape_elements(t.shape) > kMaxElements)
      return c.fail("input '" + t.name + "' is too large");
    if (t.dtype != DType::kFloat32)
      return unsupported(c.what + ": input '" + t.name + "' is " + dtype_name(t.dtype) +
                         ", only float32 is supported");
    // Kernels read constants straight from their bytes: they must hold the shape.
    if (t.is_constant() &&
        t.data->bytes < static_cast<size_t>(shape_elements(t.shape)) * sizeof(float))
      return c.fail("constant '" + t.name + "' of shape " + str(t.shape) + " holds only " +
                    std::to_string(t.data->bytes) + " bytes");
    c.in.push_back(&t.shape);
  }
  if (n.outputs.empty()) return c.fail("has no outputs");
  std::vector<Shape> out;
  Status st;
  switch (n.op) {
    case OpType::kConv:
      st = infer_conv(c, &out);
      break;
    case OpType::kBatchNormalization:
      st = infer_batch_norm(c, &out);
      break;
    case OpType::kRelu:
    case OpType::kClip:
    case OpType::kSigmoid:
    case OpType::kHardSigmoid:
    case OpType::kHardSwish:
    case OpType::kIdentity:
    case OpType::kTanh:
    case OpType::kLeakyRelu:
      st = infer_unary(c, &out);
      break;
    case OpType::kAdd:
    case OpType::kSub:
    case OpType::kMul:
    case OpType::kDiv:
      st = infer_binary(c, &out);
      break;
    case OpType::kMaxPool:
    case OpType::kAveragePool:
      st = infer_pool(c, &out);
      break;
    case OpType::kGlobalAveragePool:
    case OpType::kGlobalMaxPool:
      st = infer_global_pool(c, &out);
      break;
    case OpType::kReduceMean:
      st = infer_reduce_mean(c, &out);
      break;
    case OpType::kConcat:
      st = infer_concat(c, &out);
      break;
    case OpType::kSplit:
      st = infer_split(c, &out);
      break;
    case OpType::kSlice:
      st = infer_slice(c, &out);
      break;
    case OpType::kTranspose:
      st = infer_transpose(c, &out);
      break;
    case OpType::kReshape:
      st = infer_reshape(c, &out);
      break;
    case OpType::kFlatten:
      st = infer_flatten(c, &out);
      break;
    case OpType::kGemm:
      st = infer_gemm(c, &out);
      break;
    case OpType::kMatMul:
      st = infer_matmul(c, &out);
      break;
    case OpType::kSoftmax:
      st = infer_softmax(c, &out);
      break;
    case OpType::kPad:
      st = infer_pad(c, &out);
      break;
    default:
      return c.fail("unknown op type " + std::to_string(static_cast<int>(n.op)));
  }
  TANDEM_RETURN_IF_ERROR(st);
  if (out.size() != n.outputs.size())
    return c.fail("has " + std::to_string(n.outputs.size()) + " outputs, expected " +
                  std::to_string(out.size()));
  for (const Shape& s : out) {
    for (int64_t d : s)
      if (d < 0 || d > kMaxDim)
        return c.fail("output dim " + num(d) + " out of range in " + str(s));
    if (shape_elements(s) < 0 || shape_elements(s) > kMaxElements)
      return c.fail("output " + str(s) + " is too large");
  }
  *out_shapes = std::move(out);
  return Status();
}

Status infer_shapes(Graph& g) {
  for (const Node& n : g.nodes) {
    const std::string what = "node '" + n.name + "' (" + std::string(op_name(n.op)) + ")";
    std::vector<Shape> shapes;
    TANDEM_RETURN_IF_ERROR(infer_node_shapes(g, n, &shapes));
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      const int id = n.outputs[k];
      if (!g.valid_tensor(id))
        return invalid_model(what + ": output " + std::to_string(k) + " is tensor id " +
                             std::to_string(id) + ", which does not exist");
      Tensor& t = g.tensor(id);
      if (t.is_constant()) return invalid_model(what + ": writes constant tensor '" + t.name + "'");
      if (!t.shape.empty() && t.shape != shapes[k])
        return invalid_model(what + ": output '" + t.name + "' is declared " + str(t.shape) +
                             " but inferred " + str(shapes[k]));
      t.shape = shapes[k];
      t.dtype = DType::kFloat32;
    }
  }
  return Status();
}

}  // namespace tandem
