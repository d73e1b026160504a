// Gemm and MatMul with a constant B on XNNPACK's fully connected operator
// (batch = rows of A); Gemm's C becomes the bias, alpha/beta fold into weights.
#include <algorithm>

#include "kernels/cpu/compiler/cpu_executable.h"
#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {
namespace {

constexpr int64_t kSliceBytes = int64_t(64) << 20;

class FullyConnectedKernel : public CpuKernel {
 public:
  explicit FullyConnectedKernel(std::string name) : name_(std::move(name)) {}
  Status run(pthreadpool_t pool) override {
    for (const XnnOperator& op : ops)
      if (xnn_run_operator(op.get(), pool) != xnn_status_success)
        return internal_error("XNNPACK error running node '" + name_ + "'");
    return Status();
  }
  std::vector<XnnOperator> ops;

 private:
  std::string name_;
};

Expected<KernelPtr> make_fully_connected(const KernelArgs& a) {
  const Node& n = *a.node;
  const CpuTensor& x = a.inputs[0];
  const CpuTensor& b = a.inputs[1];
  const CpuTensor& y = a.outputs[0];
  if (x.nhwc || y.nhwc) return unsupported("fully connected '" + n.name + "' on an NHWC tensor");
  const bool gemm = n.op == OpType::kGemm;
  const bool trans_b = gemm && n.attrs.trans_b;
  const int64_t k = x.shape.back();
  const int64_t out = y.shape.back();
  const int64_t rows = x.elements() / k;
  const float alpha = gemm ? n.attrs.alpha : 1.0f;
  std::vector<float> scaled;
  const float* kernel = b.data;
  if (alpha != 1.0f) {
    scaled.assign(b.data, b.data + k * out);
    for (float& v : scaled) v *= alpha;
    kernel = scaled.data();
  }
  std::vector<float> bias;
  if (gemm && a.inputs.size() > 2 && a.inputs[2].data) {
    const CpuTensor& c = a.inputs[2];
    bias.resize(static_cast<size_t>(out));
    bool scalar = c.elements() == 1;
    for (int64_t i = 0; i < out; ++i)
      bias[static_cast<size_t>(i)] = n.attrs.beta * c.data[scalar ? 0 : i];
  }
  // Large [N, K] weights are packed in slices of output rows, each slice's file
  // pages given back right after, so packing never holds both copies whole.
  const bool sliced = trans_b && kernel == b.data && k * out * 4 > kSliceBytes;
  const int64_t slice = sliced ? std::max<int64_t>(1, kSliceBytes / (4 * k)) : out;
  auto kern = std::make_unique<FullyConnectedKernel>(n.name);
  for (int64_t n0 = 0; n0 < out; n0 += slice) {
    const int64_t cols = std::min(slice, out - n0);
    const float* w = trans_b ? kernel + n0 * k : kernel;
    xnn_operator_t op = nullptr;
    enum xnn_status st = xnn_create_fully_connected_nc_f32(
        size_t(k), size_t(cols), size_t(k), size_t(out), w,
        bias.empty() ? nullptr : bias.data() + n0, n.attrs.activation.min, n.attrs.activation.max,
        (trans_b ? 0 : XNN_FLAG_TRANSPOSE_WEIGHTS) | cpu_xnn_flags(), &op);
    if (st != xnn_status_success) return xnn_error(st, "create fully connected", n);
    kern->ops.emplace_back(op);
    st = xnn_setup_fully_connected_nc_f32(op, size_t(rows), x.data, y.data + n0, a.pool);
    if (st != xnn_status_success) return xnn_error(st, "setup fully connected", n);
    if (sliced) {
      ConstantData part;
      part.data = w;
      part.bytes = size_t(cols * k) * sizeof(float);
      release_constant_pages({&part});
    }
  }
  kern->consumed_constants.push_back(n.inputs[1]);
  if (!bias.empty()) kern->consumed_constants.push_back(n.inputs[2]);
  return KernelPtr(std::move(kern));
}

}  // namespace

CpuOpSupport fully_connected_support(const Graph& g, const Node& n) {
  if (n.inputs.size() < 2 || n.outputs.size() != 1 || n.inputs[0] < 0 || n.inputs[1] < 0) return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  const Tensor& b = g.tensor(n.inputs[1]);
  const Shape& y = g.tensor(n.outputs[0]).shape;
  if (x.is_constant() || !b.is_constant() || b.shape.size() != 2 || y.empty()) return {};
  if (n.op == OpType::kGemm) {
    if (x.shape.size() != 2 || n.attrs.trans_a) return {};
    int64_t k = n.attrs.trans_b ? b.shape[1] : b.shape[0];
    int64_t out = n.attrs.trans_b ? b.shape[0] : b.shape[1];
    if (k != x.shape[1] || y.back() != out) return {};
    if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
      const Tensor& c = g.tensor(n.inputs[2]);
      int64_t ce = shape_elements(c.shape);
      // Only a C that is one row broadcast over the batch is a bias.
      if (!c.is_constant() || !(ce == 1 || (ce == out && c.shape.back() == out))) return {};
    }
  } else {
    // 4-D: logical activations only (image_layout.h); make_fully_connected refuses NHWC.
    if (x.shape.size() < 1 || x.shape.size() > 4) return {};
    if (x.shape.back() != b.shape[0] || y.back() != b.shape[1]) return {};
  }
  return contiguous_kernel(make_fully_connected);
}

}  // namespace tandem::cpu
