// Add, Sub, Mul, Div with numpy broadcasting; Add's fused activation (the
// only one the IR defines for binary ops) as output min/max. Same-shape inputs (residual adds) run
// on an own loop split over the thread pool (XNNPACK 2022 collapses them to one dimension and one
// thread), also on pixel-strided NHWC tensors.
#include <algorithm>
#include <limits>

#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {
namespace {

float act_min(const Node& n) {
  return n.op == OpType::kAdd ? n.attrs.activation.min : -std::numeric_limits<float>::infinity();
}
float act_max(const Node& n) {
  return n.op == OpType::kAdd ? n.attrs.activation.max : std::numeric_limits<float>::infinity();
}

constexpr int64_t kChunk = 4096;  // floats per task: 16 KiB per operand

// Rows of floats: a contiguous tensor is cut into rows of kChunk floats, an NHWC
// one with pixel strides (a concat slice, YOLOv8's C2f) is one row of C floats
// per pixel, several pixels per task.
struct SameShapeJob {
  const float* a;
  const float* b;
  float* y;
  int64_t rows, length, total, stride_a, stride_b, stride_y, per_task;
  float lo, hi;
};

template <OpType kOp>
void same_shape_rows(void* ctx, size_t index) {
  const auto* j = static_cast<const SameShapeJob*>(ctx);
  const int64_t first = static_cast<int64_t>(index) * j->per_task;
  const int64_t end = std::min(j->rows, first + j->per_task);
  const float lo = j->lo, hi = j->hi;
  for (int64_t r = first; r < end; ++r) {
    const float* __restrict a = j->a + r * j->stride_a;
    const float* __restrict b = j->b + r * j->stride_b;
    float* __restrict y = j->y + r * j->stride_y;
    const int64_t count = std::min(j->length, j->total - r * j->length);
    for (int64_t i = 0; i < count; ++i) {
      float v;
      if constexpr (kOp == OpType::kAdd) v = a[i] + b[i];
      if constexpr (kOp == OpType::kSub) v = a[i] - b[i];
      if constexpr (kOp == OpType::kMul) v = a[i] * b[i];
      if constexpr (kOp == OpType::kDiv) v = a[i] / b[i];
      y[i] = std::min(std::max(v, lo), hi);
    }
  }
}

SameShapeJob same_shape_job(const KernelArgs& a) {
  const CpuTensor &x0 = a.inputs[0], &x1 = a.inputs[1], &y = a.outputs[0];
  SameShapeJob j{x0.data, x1.data, y.data, 0, 0, 0, 0, 0, 0, 1, act_min(*a.node), act_max(*a.node)};
  if (x0.contiguous() && x1.contiguous() && y.contiguous()) {
    j.total = y.elements();
    j.length = j.stride_a = j.stride_b = j.stride_y = kChunk;
    j.rows = (j.total + kChunk - 1) / kChunk;
  } else {
    j.length = y.c();
    j.rows = y.n() * y.h() * y.w();
    j.total = j.rows * j.length;
    j.stride_a = x0.pixel_stride;
    j.stride_b = x1.pixel_stride;
    j.stride_y = y.pixel_stride;
    j.per_task = std::max<int64_t>(1, kChunk / std::max<int64_t>(1, j.length));
  }
  return j;
}

class SameShapeKernel : public CpuKernel {
 public:
  SameShapeKernel(const KernelArgs& a) : job_(same_shape_job(a)) {
    switch (a.node->op) {
      case OpType::kAdd:
        fn_ = same_shape_rows<OpType::kAdd>;
        break;
      case OpType::kSub:
        fn_ = same_shape_rows<OpType::kSub>;
        break;
      case OpType::kMul:
        fn_ = same_shape_rows<OpType::kMul>;
        break;
      default:
        fn_ = same_shape_rows<OpType::kDiv>;
        break;
    }
  }
  Status run(pthreadpool_t pool) override {
    const size_t tasks = static_cast<size_t>((job_.rows + job_.per_task - 1) / job_.per_task);
    pthreadpool_parallelize_1d(pool, fn_, &job_, tasks, cpu_pool_flags());
    return Status();
  }

 private:
  SameShapeJob job_;
  void (*fn_)(void*, size_t) = nullptr;
};

// Constant operand broadcast against a 4-D NHWC output: pad its shape to 4-D
// and reorder its values to NHWC.
std::vector<float> constant_to_nhwc(const CpuTensor& c, Shape* storage) {
  Shape s = c.shape;
  while (s.size() < 4) s.insert(s.begin(), 1);
  const int64_t n = s[0], ch = s[1], h = s[2], w = s[3];
  std::vector<float> out(static_cast<size_t>(n * ch * h * w));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < ch; ++k)
      for (int64_t p = 0; p < h * w; ++p)
        out[static_cast<size_t>((i * h * w + p) * ch + k)] = c.data[(i * ch + k) * h * w + p];
  *storage = {n, h, w, ch};
  return out;
}

class BroadcastKernel : public CpuKernel {
 public:
  Status init(const KernelArgs& a) {
    const Node& n = *a.node;
    const CpuTensor& y = a.outputs[0];
    const float* ptr[2];
    for (int i = 0; i < 2; ++i) {
      const CpuTensor& t = a.inputs[static_cast<size_t>(i)];
      Shape s;
      if (y.nhwc && t.constant) {
        constants_[i] = constant_to_nhwc(t, &s);
        ptr[i] = constants_[i].data();
      } else {
        s = t.storage_shape();
        ptr[i] = t.data;
      }
      if (s.empty()) s = {1};
      for (int64_t d : s) dims_[i].push_back(static_cast<size_t>(d));
    }
    const float lo = act_min(n), hi = act_max(n);
    xnn_operator_t op = nullptr;
    enum xnn_status st;
    switch (n.op) {
      case OpType::kAdd:
        st = xnn_create_add_nd_f32(lo, hi, cpu_xnn_flags(), &op);
        break;
      case OpType::kSub:
        st = xnn_create_subtract_nd_f32(lo, hi, cpu_xnn_flags(), &op);
        break;
      case OpType::kMul:
        st = xnn_create_multiply_nd_f32(lo, hi, cpu_xnn_flags(), &op);
        break;
      default:
        st = xnn_create_divide_nd_f32(lo, hi, cpu_xnn_flags(), &op);
        break;
    }
    if (st != xnn_status_success) return xnn_error(st, "create binary", n);
    op_.reset(op);
    auto setup = n.op == OpType::kAdd   ? xnn_setup_add_nd_f32
                 : n.op == OpType::kSub ? xnn_setup_subtract_nd_f32
                 : n.op == OpType::kMul ? xnn_setup_multiply_nd_f32
                                        : xnn_setup_divide_nd_f32;
    st = setup(op, dims_[0].size(), dims_[0].data(), dims_[1].size(), dims_[1].data(), ptr[0],
               ptr[1], y.data, a.pool);
    if (st != xnn_status_success) return xnn_error(st, "setup binary", n);
    name_ = n.name;
    return Status();
  }
  Status run(pthreadpool_t pool) override {
    enum xnn_status st = xnn_run_operator(op_.get(), pool);
    if (st != xnn_status_success)
      return internal_error("XNNPACK error running node '" + name_ + "'");
    return Status();
  }

 private:
  XnnOperator op_;
  std::vector<float> constants_[2];
  std::vector<size_t> dims_[2];
  std::string name_;
};

Expected<KernelPtr> make_binary(const KernelArgs& a) {
  const CpuTensor& x0 = a.inputs[0];
  const CpuTensor& x1 = a.inputs[1];
  if (!x0.constant && !x1.constant && x0.shape == x1.shape && x0.nhwc == x1.nhwc &&
      x0.shape == a.outputs[0].shape && x0.nhwc == a.outputs[0].nhwc)
    return KernelPtr(new SameShapeKernel(a));
  for (const CpuTensor* t : {&x0, &x1, &a.outputs[0]})  // XNNPACK's operands are dense
    if (!t->contiguous())
      return internal_error("node '" + a.node->name + "' broadcasts pixel-strided tensors");
  auto k = std::make_unique<BroadcastKernel>();
  TANDEM_RETURN_IF_ERROR(k->init(a));
  for (size_t i = 0; i < 2; ++i)
    if (a.inputs[i].constant) k->consumed_constants.push_back(a.node->inputs[i]);
  return KernelPtr(std::move(k));
}

}  // namespace

CpuOpSupport binary_elementwise_support(const Graph& g, const Node& n) {
  if (n.inputs.size() != 2 || n.outputs.size() != 1 || n.inputs[0] < 0 || n.inputs[1] < 0)
    return {};
  const Shape& y = g.tensor(n.outputs[0]).shape;
  if (y.size() > 6) return {};
  for (int t : n.inputs) {
    const Tensor& x = g.tensor(t);
    if (x.dtype != DType::kFloat32) return {};
    // A 4-D activation is NHWC: only a 4-D output lines it up with the other operand.
    if (x.shape.size() == 4 && !x.is_constant() && y.size() != 4) return {};
    // A lower-rank activation broadcast into NHWC would need reordering per run.
    if (y.size() == 4 && x.shape.size() < 4 && !x.is_constant() && shape_elements(x.shape) != 1)
      return {};
    if (y.size() == 4 && x.shape.size() > 4) return {};
  }
  const Tensor &x0 = g.tensor(n.inputs[0]), &x1 = g.tensor(n.inputs[1]);
  if (x0.is_constant() && x1.is_constant()) return {};
  // Same-shape 4-D operands (residual Adds, SiLU's x * sigmoid(x)) run on the own
  // loop, which reads and writes pixel strides: their outputs can sit in a concat.
  if (y.size() == 4 && !x0.is_constant() && !x1.is_constant() && x0.shape == y && x1.shape == y)
    return strided_kernel(make_binary);
  return contiguous_kernel(make_binary);
}

}  // namespace tandem::cpu
