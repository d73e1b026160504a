// QuantizeLinear, DequantizeLinear and QAdd on own loops over contiguous
// tensors (int8 NHWC or logical), with the reference's rounding (graph/quant_math.h),
// so they are bit-identical to it. XNNPACK's qs8 add rounds in fixed point
// and runs on one thread; this one splits the elements over the pool.
#include "graph/quant_math.h"
#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {
namespace {

constexpr int64_t kChunk = 8192;  // elements per task

class QElementwise final : public CpuKernel {
 public:
  explicit QElementwise(const KernelArgs& a)
      : op_(a.node->op),
        x_(a.inputs[0].data),
        y_(a.outputs[0].data),
        count_(a.outputs[0].elements()) {
    const Graph& g = *a.g;
    const Node& n = *a.node;
    if (op_ == OpType::kQAdd) {
      b_ = a.inputs[1].data;
      add_ = qmath::add_factors(g.tensor(n.inputs[0]).quant, g.tensor(n.inputs[1]).quant,
                                g.tensor(n.outputs[0]).quant);
    } else {
      const Quantization& q =
          g.tensor(op_ == OpType::kQuantizeLinear ? n.outputs[0] : n.inputs[0]).quant;
      scale_ = q.scale[0];
      zp_ = q.zero_point[0];
    }
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this, size_t((count_ + kChunk - 1) / kChunk),
                               cpu_pool_flags());
    return Status();
  }

 private:
  static void task(void* ctx, size_t t) {
    const auto* k = static_cast<const QElementwise*>(ctx);
    const int64_t i0 = int64_t(t) * kChunk, i1 = std::min(k->count_, i0 + kChunk);
    // Locals, not members: int8 stores may alias *k, so the loops would reload the
    // scale and pointers every element and not vectorize (QuantizeLinear: a scalar
    // divss per element).
    const float scale = k->scale_;
    const int32_t zp = k->zp_;
    if (k->op_ == OpType::kQuantizeLinear) {
      const float* x = k->x_;
      auto* y = reinterpret_cast<int8_t*>(k->y_);
      for (int64_t i = i0; i < i1; ++i) y[i] = qmath::quantize(x[i], scale, zp);
    } else if (k->op_ == OpType::kDequantizeLinear) {
      const auto* x = reinterpret_cast<const int8_t*>(k->x_);
      float* y = k->y_;
      for (int64_t i = i0; i < i1; ++i) y[i] = qmath::dequantize(x[i], scale, zp);
    } else {
      const auto* a = reinterpret_cast<const int8_t*>(k->x_);
      const auto* b = reinterpret_cast<const int8_t*>(k->b_);
      auto* y = reinterpret_cast<int8_t*>(k->y_);
      const qmath::AddFactors f = k->add_;
      for (int64_t i = i0; i < i1; ++i) y[i] = qmath::add_values(a[i], b[i], f);
    }
  }

  OpType op_;
  const float* x_;
  const float* b_ = nullptr;
  float* y_;
  int64_t count_;
  float scale_ = 1.0f;
  int32_t zp_ = 0;
  qmath::AddFactors add_{};
};

Expected<KernelPtr> make_qelementwise(const KernelArgs& a) {
  for (const CpuTensor& t : a.inputs)
    if (!t.contiguous()) return unsupported("strided input");
  return KernelPtr(new QElementwise(a));
}

}  // namespace

CpuOpSupport qelementwise_support(const Graph& g, const Node& n) {
  if (n.op == OpType::kDequantizeLinear) {
    const Tensor& x = g.tensor(n.inputs[0]);
    if (x.dtype != DType::kInt8 || !x.quant.per_tensor() || x.is_constant()) return {};
  }
  return contiguous_kernel(make_qelementwise);
}

}  // namespace tandem::cpu
