// Reshape, Flatten and Identity: a copy into the output's layout (NHWC data
// is brought to logical order first, since reshaping is defined on it).
#include <cstring>

#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/compiler/layout.h"

namespace tandem::cpu {
namespace {

class ReshapeKernel : public CpuKernel {
 public:
  explicit ReshapeKernel(const KernelArgs& a) : in_(a.inputs[0]), out_(a.outputs[0]) {
    in_.shape = a.g->tensor(a.node->inputs[0]).shape;
    same_storage_ = in_.nhwc == out_.nhwc && in_.contiguous() && out_.contiguous() &&
                    (!in_.nhwc || in_.shape == out_.shape);
    // 4-D NHWC -> 4-D NHWC with other dims, or with pixel strides: via logical order.
    if (!same_storage_ && in_.nhwc && out_.nhwc)
      scratch_.resize(static_cast<size_t>(in_.elements()));
  }
  Status run(pthreadpool_t pool) override {
    if (same_storage_) {
      if (in_.data != out_.data)
        std::memcpy(out_.data, in_.data, static_cast<size_t>(out_.elements()) * sizeof(float));
    } else if (!in_.nhwc) {
      store_logical(in_.data, out_, pool);
    } else if (!out_.nhwc) {
      load_logical(in_, out_.data, pool);
    } else {
      load_logical(in_, scratch_.data(), pool);
      store_logical(scratch_.data(), out_, pool);
    }
    return Status();
  }

 private:
  CpuTensor in_, out_;
  bool same_storage_ = false;
  std::vector<float> scratch_;
};

Expected<KernelPtr> make_reshape(const KernelArgs& a) {
  return KernelPtr(new ReshapeKernel(a));
}

}  // namespace

CpuOpSupport reshape_support(const Graph& g, const Node& n) {
  if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1) return {};
  const Tensor& in = g.tensor(n.inputs[0]);
  if (in.dtype != DType::kFloat32 || in.is_constant()) return {};
  if (shape_elements(in.shape) != shape_elements(g.tensor(n.outputs[0]).shape)) return {};
  return strided_kernel(make_reshape);
}

}  // namespace tandem::cpu
