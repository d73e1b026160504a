// Split of a 4-D NHWC activation along channels (YOLOv8's C2f blocks): each
// output is a run of channels of every input pixel. Where both halves are
// inputs of one concat, the compiler places the split's input in that concat's
// buffer (range_plan.cc), so the outputs are views and nothing is copied;
// otherwise each output is copied out of its channel slice. Other splits run on
// the reference fallback.
#include "graph/shape_util.h"
#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/compiler/layout.h"

namespace tandem::cpu {
namespace {

class SplitKernel : public CpuKernel {
 public:
  explicit SplitKernel(const KernelArgs& a) : x_(a.inputs[0]) {
    int64_t offset = 0;
    for (const CpuTensor& y : a.outputs) {
      const float* src = x_.data + offset;
      if (y.data != src || y.pixel_stride != x_.pixel_stride) copies_.push_back({src, y});
      offset += y.c();
    }
  }
  Status run(pthreadpool_t pool) override {
    for (const Copy& c : copies_)
      copy_pixels(c.src, x_.pixel_stride, c.dst.data, c.dst.pixel_stride,
                  c.dst.n() * c.dst.h() * c.dst.w(), c.dst.c(), pool);
    return Status();
  }
  const char* kind() const override { return copies_.empty() ? "view" : "own"; }

 private:
  struct Copy {
    const float* src;
    CpuTensor dst;
  };
  CpuTensor x_;
  std::vector<Copy> copies_;
};

Expected<KernelPtr> make_split(const KernelArgs& a) {
  if (!a.inputs[0].nhwc) return internal_error("split '" + a.node->name + "' input is not NHWC");
  for (const CpuTensor& y : a.outputs)
    if (!y.nhwc) return internal_error("split '" + a.node->name + "' output is not NHWC");
  return KernelPtr(new SplitKernel(a));
}

}  // namespace

bool is_channel_split(const Graph& g, const Node& n) {
  if (n.op != OpType::kSplit || n.inputs.size() != 1 || n.inputs[0] < 0 || n.outputs.empty())
    return false;
  const Tensor& x = g.tensor(n.inputs[0]);
  int64_t axis = 0;
  if (x.shape.size() != 4 || x.dtype != DType::kFloat32 || x.is_constant() ||
      !normalize_axis(n.attrs.axis, 4, &axis) || axis != 1)
    return false;
  for (int t : n.outputs)
    if (t < 0 || g.tensor(t).shape.size() != 4) return false;
  return true;
}

CpuOpSupport split_support(const Graph& g, const Node& n) {
  if (!is_channel_split(g, n)) return {};
  return strided_kernel(make_split);
}

}  // namespace tandem::cpu
