// Constant-mode Pad on XNNPACK's constant_pad_nd (pads reordered for NHWC).
#include <cstring>

#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {
namespace {

class PadKernel : public CpuKernel {
 public:
  Status init(const KernelArgs& a) {
    const Node& n = *a.node;
    const CpuTensor& x = a.inputs[0];
    const size_t rank = x.shape.size();
    std::vector<size_t> shape, pre, post;
    for (size_t i = 0; i < rank; ++i) {
      shape.push_back(size_t(x.shape[i]));
      pre.push_back(size_t(n.attrs.pads[i]));
      post.push_back(size_t(n.attrs.pads[i + rank]));
    }
    if (x.nhwc) {
      const size_t order[4] = {0, 2, 3, 1};
      std::vector<size_t> s(4), b(4), e(4);
      for (size_t i = 0; i < 4; ++i) {
        s[i] = shape[order[i]];
        b[i] = pre[order[i]];
        e[i] = post[order[i]];
      }
      shape = s, pre = b, post = e;
    }
    value_ = n.attrs.pad_value;
    uint32_t bits;
    std::memcpy(&bits, &value_, sizeof(bits));
    xnn_operator_t op = nullptr;
    enum xnn_status st = xnn_create_constant_pad_nd_x32(&bits, cpu_xnn_flags(), &op);
    if (st != xnn_status_success) return xnn_error(st, "create pad", n);
    op_.reset(op);
    st = xnn_setup_constant_pad_nd_x32(op, rank, shape.data(), pre.data(), post.data(), x.data,
                                       a.outputs[0].data, a.pool);
    if (st != xnn_status_success) return xnn_error(st, "setup pad", n);
    name_ = n.name;
    return Status();
  }
  Status run(pthreadpool_t pool) override {
    if (xnn_run_operator(op_.get(), pool) != xnn_status_success)
      return internal_error("XNNPACK error running node '" + name_ + "'");
    return Status();
  }

 private:
  XnnOperator op_;
  float value_ = 0;
  std::string name_;
};

Expected<KernelPtr> make_pad(const KernelArgs& a) {
  auto k = std::make_unique<PadKernel>();
  TANDEM_RETURN_IF_ERROR(k->init(a));
  return KernelPtr(std::move(k));
}

}  // namespace

CpuOpSupport pad_support(const Graph& g, const Node& n) {
  if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1) return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  if (x.is_constant() || n.attrs.pad_mode != PadMode::kConstant) return {};
  if (x.shape.empty() || x.shape.size() > 6 || n.attrs.pads.size() != 2 * x.shape.size()) return {};
  for (int64_t p : n.attrs.pads)
    if (p < 0) return {};  // negative pads crop: reference only
  return contiguous_kernel(make_pad);
}

}  // namespace tandem::cpu
