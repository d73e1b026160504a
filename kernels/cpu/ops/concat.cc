// Concat along channels of NHWC tensors. Inputs the compiler placed straight
// into their slice of the output (producers wrote through the pixel stride)
// cost nothing; the others are copied here.
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

Expected<KernelPtr> make_concat(const KernelArgs& a) {
  return KernelPtr(new ConcatKernel(a));
}

}  // namespace

CpuOpSupport concat_support(const Graph& g, const Node& n) {
  if (n.outputs.size() != 1 || n.inputs.empty()) return {};
  if (g.tensor(n.outputs[0]).shape.size() != 4 || n.attrs.axis != 1) return {};
  for (int t : n.inputs)
    if (t < 0 || g.tensor(t).is_constant() || g.tensor(t).shape.size() != 4) return {};
  return strided_kernel(make_concat);
}

}  // namespace tandem::cpu
