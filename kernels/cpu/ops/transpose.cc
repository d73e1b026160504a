// Transpose of a float tensor of rank <= 6 in any storage (YOLOv8's DFL head
// swaps dims 1 and 2 of [1, 4, 16, A], an NHWC tensor inside a cpu range):
// every tensor is walked through its logical strides (NHWC with pixel stride
// or row-major), a task per ~4096 floats of output rows of the last logical dim, a
// row with unit strides on both sides one memcpy (ViT's head split, [197, 12, 64] ->
// [12, 197, 64], moves runs of 64 floats). Channel
// shuffles (Reshape -> Transpose -> Reshape) are fused before this (fusion.cc).
#include <algorithm>
#include <cstring>

#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {
namespace {

constexpr size_t kMaxRank = 6;

// Strides of t's logical dims in its storage, in floats.
std::vector<int64_t> logical_strides(const CpuTensor& t) {
  const Shape& s = t.shape;
  if (t.nhwc) {
    const int64_t ps = t.pixel_stride;
    return {s[2] * s[3] * ps, 1, s[3] * ps, ps};
  }
  std::vector<int64_t> st(s.size(), 1);
  for (size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}

class TransposeKernel : public CpuKernel {
 public:
  TransposeKernel(const KernelArgs& a, const std::vector<int64_t>& perm)
      : x_(a.inputs[0].data), y_(a.outputs[0].data) {
    const std::vector<int64_t> xs = logical_strides(a.inputs[0]);
    ys_ = logical_strides(a.outputs[0]);
    dims_ = a.outputs[0].shape;
    for (size_t j = 0; j < dims_.size(); ++j) xs_.push_back(xs[size_t(perm[j])]);
    rows_ = 1;
    for (size_t j = 0; j + 1 < dims_.size(); ++j) rows_ *= dims_[j];
    per_task_ = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, dims_.back()));
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, rows_task, this, size_t((rows_ + per_task_ - 1) / per_task_),
                               cpu_pool_flags());
    return Status();
  }

 private:
  static void rows_task(void* ctx, size_t index) {
    const auto* k = static_cast<const TransposeKernel*>(ctx);
    const int64_t r0 = int64_t(index) * k->per_task_;
    const int64_t r1 = std::min(k->rows_, r0 + k->per_task_);
    for (int64_t row = r0; row < r1; ++row) k->copy_row(row);
  }

  void copy_row(int64_t index) const {
    const size_t r = dims_.size();
    int64_t rest = index, xo = 0, yo = 0;
    for (size_t j = r - 1; j-- > 0;) {  // the row's index in dims [0, r - 1)
      const int64_t i = rest % dims_[j];
      rest /= dims_[j];
      xo += i * xs_[j];
      yo += i * ys_[j];
    }
    const float* x = x_ + xo;
    float* y = y_ + yo;
    const int64_t n = dims_[r - 1], sx = xs_[r - 1], sy = ys_[r - 1];
    if (sx == 1 && sy == 1) {
      std::memcpy(y, x, sizeof(float) * size_t(n));
      return;
    }
    for (int64_t i = 0; i < n; ++i) y[i * sy] = x[i * sx];
  }

  const float* x_;
  float* y_;
  Shape dims_;
  std::vector<int64_t> xs_, ys_;
  int64_t rows_ = 1, per_task_ = 1;
};

std::vector<int64_t> full_perm(const Node& n, size_t rank) {
  std::vector<int64_t> perm = n.attrs.perm;
  if (perm.empty())
    for (size_t i = rank; i-- > 0;) perm.push_back(int64_t(i));
  return perm;
}

Expected<KernelPtr> make_transpose(const KernelArgs& a) {
  const std::vector<int64_t> perm = full_perm(*a.node, a.inputs[0].shape.size());
  if (perm.size() != a.outputs[0].shape.size())
    return internal_error("transpose '" + a.node->name + "': perm does not match the rank");
  return KernelPtr(new TransposeKernel(a, perm));
}

}  // namespace

CpuOpSupport transpose_support(const Graph& g, const Node& n) {
  if (n.inputs.size() != 1 || n.inputs[0] < 0 || n.outputs.size() != 1) return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  if (x.dtype != DType::kFloat32 || x.is_constant() || x.shape.empty() ||
      x.shape.size() > kMaxRank || g.tensor(n.outputs[0]).shape.size() != x.shape.size())
    return {};
  return strided_kernel(make_transpose);
}

}  // namespace tandem::cpu
