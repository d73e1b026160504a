// Add, Sub, Mul, Div with numpy broadcasting; Add's fused activation (the
// only one the IR defines for binary ops) as output min/max. Same-shape inputs (residual adds) run
// on an own loop split over the thread pool: XNNPACK 2022 collapses them to one dimension and one
// thread.
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

struct SameShapeJob {
  const float* a;
  const float* b;
  float* y;
  int64_t count;
  float lo, hi;
  OpType op;
};

template <OpType kOp>
void same_shape_chunk(void* ctx, size_t index) {
  const auto* j = static_cast<const SameShapeJob*>(ctx);
  int64_t begin = static_cast<int64_t>(index) * kChunk;
  int64_t end = std::min(begin + kChunk, j->count);
  const float* __restrict a = j->a;
  const float* __restrict b = j->b;
  float* __restrict y = j->y;
  const float lo = j->lo, hi = j->hi;
  for (int64_t i = begin; i < end; ++i) {
    float v;
    if constexpr (kOp == OpType::kAdd) v = a[i] + b[i];
    if constexpr (kOp == OpType::kSub) v = a[i] - b[i];
    if constexpr (kOp == OpType::kMul) v = a[i] * b[i];
    if constexpr (kOp == OpType::kDiv) v = a[i] / b[i];
    y[i] = std::min(std::max(v, lo), hi);
  }
}

class SameShapeKernel : public CpuKernel {
 public:
  SameShapeKernel(const KernelArgs& a) {
    const Node& n = *a.node;
    job_ = {a.inputs[0].data,
            a.inputs[1].data,
            a.outputs[0].data,
            a.outputs[0].elements(),
            act_min(n),
            act_max(n),
            n.op};
    switch (n.op) {
      case OpType::kAdd:
        fn_ = same_shape_chunk<OpType::kAdd>;
        break;
      case OpType::kSub:
        fn_ = same_shape_chunk<OpType::kSub>;
        break;
      case OpType::kMul:
        fn_ = same_shape_chunk<OpType::kMul>;
        break;
      default:
        fn_ = same_shape_chunk<OpType::kDiv>;
        break;
    }
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, fn_, &job_,
                               static_cast<size_t>((job_.count + kChunk - 1) / kChunk),
                               cpu_pool_flags());
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
  if (!x0.constant && !x1.constant && x0.shape == x1.shape && x0.nhwc == x1.nhwc)
    return KernelPtr(new SameShapeKernel(a));
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
  if (g.tensor(n.inputs[0]).is_constant() && g.tensor(n.inputs[1]).is_constant()) return {};
  return contiguous_kernel(make_binary);
}

}  // namespace tandem::cpu
