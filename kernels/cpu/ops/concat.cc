// Concat along channels of NHWC tensors. Inputs the compiler placed straight
// into their slice of the output (producers wrote through the pixel stride)
// cost nothing; the others are copied here. Tensors of other ranks (YOLOv8's
// head: [1, 144, A] pieces along anchors, boxes and scores along rows) are
// logical and contiguous: each input is one block per outer index, copied.
#include <cstring>

#include "graph/shape_util.h"
#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/compiler/layout.h"

namespace tandem::cpu {
namespace {

class ConcatKernel : public CpuKernel {
 public:
  explicit ConcatKernel(const KernelArgs& a) : out_(a.outputs[0]) {
    int64_t offset = 0;
    for (const CpuTensor& in : a.inputs) {
      float* dst = out_.data + offset;
      if (in.data != dst) copies_.push_back({in, dst});  // not written in place
      offset += in.c();
    }
  }
  Status run(pthreadpool_t pool) override {
    for (const Copy& c : copies_)
      copy_pixels(c.src.data, c.src.pixel_stride, c.dst, out_.pixel_stride,
                  c.src.n() * c.src.h() * c.src.w(), c.src.c(), pool);
    return Status();
  }
  size_t copied_inputs() const override { return copies_.size(); }

 private:
  struct Copy {
    CpuTensor src;
    float* dst;
  };
  CpuTensor out_;
  std::vector<Copy> copies_;
};

Expected<KernelPtr> make_logical_concat(const KernelArgs& a);

Expected<KernelPtr> make_concat(const KernelArgs& a) {
  if (!a.outputs[0].nhwc) return make_logical_concat(a);  // logical 4-D (image_layout.h)
  return KernelPtr(new ConcatKernel(a));
}

// Logical layout: output row o is, for each input k, its block o (dim_k x inner
// floats) one after the other. One task per (row, input).
class LogicalConcatKernel : public CpuKernel {
 public:
  LogicalConcatKernel(const KernelArgs& a, size_t axis) : y_(a.outputs[0].data) {
    const Shape& ys = a.outputs[0].shape;
    outer_ = dims_product(ys, 0, axis);
    const int64_t inner = dims_product(ys, axis + 1, ys.size());
    for (const CpuTensor& x : a.inputs) {
      const int64_t block = x.shape[axis] * inner;
      parts_.push_back({x.data, block, row_});
      row_ += block;
    }
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this, size_t(outer_) * parts_.size(), cpu_pool_flags());
    return Status();
  }

 private:
  static void task(void* ctx, size_t index) {
    const auto* k = static_cast<const LogicalConcatKernel*>(ctx);
    const int64_t o = int64_t(index / k->parts_.size());
    const Part& p = k->parts_[index % k->parts_.size()];
    std::memcpy(k->y_ + o * k->row_ + p.offset, p.src + o * p.block,
                size_t(p.block) * sizeof(float));
  }
  struct Part {
    const float* src;
    int64_t block, offset;
  };
  float* y_;
  int64_t outer_ = 1, row_ = 0;
  std::vector<Part> parts_;
};

Expected<KernelPtr> make_logical_concat(const KernelArgs& a) {
  int64_t axis = 0;
  const Shape& ys = a.outputs[0].shape;
  if (a.outputs[0].nhwc || !normalize_axis(a.node->attrs.axis, int64_t(ys.size()), &axis))
    return internal_error("concat '" + a.node->name + "' is not a logical-layout concat");
  for (const CpuTensor& x : a.inputs)
    if (x.nhwc || x.shape.size() != ys.size())
      return internal_error("concat '" + a.node->name + "' mixes layouts");
  return KernelPtr(new LogicalConcatKernel(a, size_t(axis)));
}

}  // namespace

CpuOpSupport concat_support(const Graph& g, const Node& n) {
  if (n.outputs.size() != 1 || n.inputs.empty()) return {};
  const size_t rank = g.tensor(n.outputs[0]).shape.size();
  if (rank != 4) {
    for (int t : n.inputs)
      if (t < 0 || g.tensor(t).dtype != DType::kFloat32 || g.tensor(t).shape.size() != rank)
        return {};
    return g.tensor(n.outputs[0]).dtype == DType::kFloat32 ? contiguous_kernel(make_logical_concat)
                                                           : CpuOpSupport{};
  }
  // 4-D: channels of NHWC images (make_concat), or any axis of logical tensors
  // (image_layout.h), which the NHWC factory hands to the logical one.
  bool logical_ok = g.tensor(n.outputs[0]).dtype == DType::kFloat32;
  for (int t : n.inputs)
    logical_ok &= t >= 0 && g.tensor(t).dtype == DType::kFloat32 && g.tensor(t).shape.size() == 4;
  if (n.attrs.axis != 1)
    return logical_ok ? contiguous_kernel(make_logical_concat) : CpuOpSupport{};
  for (int t : n.inputs)
    if (t < 0 || g.tensor(t).is_constant() || g.tensor(t).shape.size() != 4) return {};
  return strided_kernel(make_concat);
}

}  // namespace tandem::cpu
