// Ops XNNPACK lacks: the reference kernel behind NHWC <-> NCHW conversion.
#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/compiler/layout.h"
#include "kernels/reference/reference_kernels.h"

namespace tandem::cpu {
namespace {

class FallbackKernel : public CpuKernel {
 public:
  explicit FallbackKernel(const KernelArgs& a)
      : g_(a.g), node_(a.node), in_(a.inputs), out_(a.outputs) {
    // Scratch for every strided/NHWC tensor, allocated once here so run() allocates nothing.
    for (const CpuTensor& t : in_) in_scratch_.emplace_back(needs_scratch(t) ? t.elements() : 0);
    for (const CpuTensor& t : out_) out_scratch_.emplace_back(needs_scratch(t) ? t.elements() : 0);
    for (size_t i = 0; i < in_.size(); ++i)
      in_ptrs_.push_back(needs_scratch(in_[i]) ? in_scratch_[i].data() : in_[i].data);
    for (size_t i = 0; i < out_.size(); ++i)
      out_ptrs_.push_back(needs_scratch(out_[i]) ? out_scratch_[i].data() : out_[i].data);
  }

  const char* kind() const override { return "reference"; }
  Status run(pthreadpool_t pool) override {
    for (size_t i = 0; i < in_.size(); ++i)
      if (needs_scratch(in_[i])) load_logical(in_[i], in_scratch_[i].data(), pool);
    TANDEM_RETURN_IF_ERROR(run_reference_node(*g_, *node_, in_ptrs_.data(), out_ptrs_.data()));
    for (size_t i = 0; i < out_.size(); ++i)
      if (needs_scratch(out_[i])) store_logical(out_scratch_[i].data(), out_[i], pool);
    return Status();
  }

 private:
  static bool needs_scratch(const CpuTensor& t) { return t.data && t.nhwc; }

  const Graph* g_;
  const Node* node_;
  std::vector<CpuTensor> in_, out_;
  std::vector<std::vector<float>> in_scratch_, out_scratch_;
  std::vector<const float*> in_ptrs_;
  std::vector<float*> out_ptrs_;
};

}  // namespace

Expected<KernelPtr> make_fallback_kernel(const KernelArgs& args) {
  if (!reference_kernel(args.node->op))
    return unsupported("node '" + args.node->name + "': no kernel for op " +
                       std::string(op_name(args.node->op)));
  return KernelPtr(new FallbackKernel(args));
}

}  // namespace tandem::cpu
