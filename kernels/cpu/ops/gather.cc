// Gather with constant indices on tensors in logical layout (rank != 4; ViT's
// class token x[:, 0] of [1, 197, 768]): one block copy per (outer, index),
// parallel over them.
#include <cstring>

#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {
namespace {

class GatherKernel : public CpuKernel {
 public:
  explicit GatherKernel(const KernelArgs& a)
      : x_(a.inputs[0].data), y_(a.outputs[0].data), indices_(a.node->attrs.indices) {
    const Shape& xs = a.inputs[0].shape;
    const size_t axis = size_t(a.node->attrs.axis);
    for (size_t k = 0; k < axis; ++k) outer_ *= xs[k];
    for (size_t k = axis + 1; k < xs.size(); ++k) inner_ *= xs[k];
    dim_ = xs[axis];
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, block_task, this, size_t(outer_) * indices_.size(),
                               cpu_pool_flags());
    return Status();
  }

 private:
  static void block_task(void* ctx, size_t index) {
    const auto* k = static_cast<const GatherKernel*>(ctx);
    const size_t count = k->indices_.size();
    const int64_t o = int64_t(index / count), j = k->indices_[index % count];
    std::memcpy(k->y_ + int64_t(index) * k->inner_, k->x_ + (o * k->dim_ + j) * k->inner_,
                size_t(k->inner_) * sizeof(float));
  }

  const float* x_;
  float* y_;
  std::vector<int64_t> indices_;
  int64_t outer_ = 1, inner_ = 1, dim_ = 1;
};

Expected<KernelPtr> make_gather(const KernelArgs& a) {
  if (a.inputs[0].nhwc || a.outputs[0].nhwc)  // logical order is not NHWC memory order
    return unsupported("gather '" + a.node->name + "' on an NHWC tensor");
  return KernelPtr(new GatherKernel(a));
}

}  // namespace

CpuOpSupport gather_support(const Graph& g, const Node& n) {
  if (n.inputs.size() != 1 || n.inputs[0] < 0 || n.outputs.size() != 1) return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  // 4-D: only logical ones (image_layout.h); make_gather refuses NHWC images.
  if (x.dtype != DType::kFloat32 || x.is_constant()) return {};
  return contiguous_kernel(make_gather);
}

}  // namespace tandem::cpu
