// QMaxPool on XNNPACK's s8 max pooling (exact: a max of int8 values; only
// where input and output share their quantization), QGlobalAveragePool and
// channel QConcat on own loops with the reference's arithmetic.
#include <cstring>

#include "graph/quant_math.h"
#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/ops/pool_window.h"

namespace tandem::cpu {
namespace {

Expected<KernelPtr> make_qmax_pool(const KernelArgs& a) {
  const Node& n = *a.node;
  const CpuTensor& x = a.inputs[0];
  const CpuTensor& y = a.outputs[0];
  // ceil_mode's extra output row/column as extra bottom/right padding.
  const PoolWindow w = pool_window(n, x, y);
  xnn_operator_t op = nullptr;
  enum xnn_status st = xnn_create_max_pooling2d_nhwc_s8(
      uint32_t(w.top), uint32_t(w.right), uint32_t(w.bottom), uint32_t(w.left), uint32_t(w.kh),
      uint32_t(w.kw), uint32_t(w.sh), uint32_t(w.sw), uint32_t(w.dh), uint32_t(w.dw), size_t(x.c()),
      size_t(x.pixel_stride), size_t(y.pixel_stride), -128, 127, cpu_xnn_flags(), &op);
  if (st != xnn_status_success) return xnn_error(st, "create s8 max pooling", n);
  XnnOperator owned(op);
  st = xnn_setup_max_pooling2d_nhwc_s8(op, size_t(x.n()), size_t(x.h()), size_t(x.w()), x.i8(),
                                       y.i8(), a.pool);
  if (st != xnn_status_success) return xnn_error(st, "setup s8 max pooling", n);
  return KernelPtr(new XnnKernel(std::move(owned), n.name));
}

// Per image, int32 sums over the pixels for a block of channels.
class QGlobalAverage final : public CpuKernel {
 public:
  explicit QGlobalAverage(const KernelArgs& a) : x_(a.inputs[0].i8()), y_(a.outputs[0].i8()) {
    const Quantization& qx = a.g->tensor(a.node->inputs[0]).quant;
    const Quantization& qy = a.g->tensor(a.node->outputs[0]).quant;
    n_ = a.inputs[0].n(), c_ = a.inputs[0].c(), pixels_ = a.inputs[0].h() * a.inputs[0].w();
    mult_ = qmath::average_multiplier(qx, qy, pixels_);
    zx_ = qx.zero_point[0], zy_ = qy.zero_point[0];
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this, size_t(n_ * blocks()), cpu_pool_flags());
    return Status();
  }

 private:
  static constexpr int64_t kBlock = 64;
  int64_t blocks() const { return (c_ + kBlock - 1) / kBlock; }
  static void task(void* ctx, size_t t) {
    const auto* k = static_cast<const QGlobalAverage*>(ctx);
    const int64_t img = int64_t(t) / k->blocks(), c0 = int64_t(t) % k->blocks() * kBlock;
    const int64_t len = std::min(kBlock, k->c_ - c0);
    int32_t acc[kBlock] = {};
    const int8_t* x = k->x_ + img * k->pixels_ * k->c_ + c0;
    for (int64_t p = 0; p < k->pixels_; ++p, x += k->c_)
      for (int64_t c = 0; c < len; ++c) acc[c] += int32_t(x[c]) - k->zx_;
    for (int64_t c = 0; c < len; ++c)
      k->y_[img * k->c_ + c0 + c] = qmath::requantize(acc[c], k->mult_, k->zy_);
  }
  const int8_t* x_;
  int8_t* y_;
  int64_t n_, c_, pixels_;
  float mult_;
  int32_t zx_, zy_;
};

// Concat along channels of NHWC tensors: per pixel, each input's channels in
// turn, through a 256-entry table where an input's quantization differs.
class QConcatChannels final : public CpuKernel {
 public:
  explicit QConcatChannels(const KernelArgs& a) : y_(a.outputs[0].i8()) {
    pixels_ = a.outputs[0].n() * a.outputs[0].h() * a.outputs[0].w();
    oc_ = a.outputs[0].c();
    const Quantization& qy = a.g->tensor(a.node->outputs[0]).quant;
    for (size_t i = 0; i < a.inputs.size(); ++i) {
      Part p{a.inputs[i].i8(), a.inputs[i].c(), false, {}};
      const Quantization& qx = a.g->tensor(a.node->inputs[i]).quant;
      if (qx != qy) {
        p.requantize = true;
        for (int v = -128; v < 128; ++v)
          p.table[size_t(v + 128)] = qmath::requantize_value(int8_t(v), qx, qy);
      }
      parts_.push_back(p);
    }
  }
  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this, size_t((pixels_ + 63) / 64), cpu_pool_flags());
    return Status();
  }

 private:
  struct Part {
    const int8_t* x;
    int64_t c;
    bool requantize;
    int8_t table[256];
  };
  static void task(void* ctx, size_t t) {
    const auto* k = static_cast<const QConcatChannels*>(ctx);
    const int64_t p0 = int64_t(t) * 64, p1 = std::min(k->pixels_, p0 + 64);
    for (int64_t p = p0; p < p1; ++p) {
      int8_t* y = k->y_ + p * k->oc_;
      for (const Part& part : k->parts_) {
        const int8_t* x = part.x + p * part.c;
        if (!part.requantize)
          std::memcpy(y, x, size_t(part.c));
        else
          for (int64_t c = 0; c < part.c; ++c) y[c] = part.table[size_t(x[c] + 128)];
        y += part.c;
      }
    }
  }
  int8_t* y_;
  int64_t pixels_, oc_;
  std::vector<Part> parts_;
};

Expected<KernelPtr> make_qglobal_average(const KernelArgs& a) {
  return KernelPtr(new QGlobalAverage(a));
}
Expected<KernelPtr> make_qconcat(const KernelArgs& a) {
  return KernelPtr(new QConcatChannels(a));
}

}  // namespace

CpuOpSupport qpool_support(const Graph& g, const Node& n) {
  if (n.op == OpType::kQMaxPool) {
    if (g.tensor(n.inputs[0]).quant != g.tensor(n.outputs[0]).quant) return {};
    if (n.attrs.pads.size() != 0 && n.attrs.pads.size() != 4) return {};
    if (n.attrs.kernel_shape.size() != 2) return {};
    return contiguous_kernel(make_qmax_pool);
  }
  if (n.op == OpType::kQGlobalAveragePool) return contiguous_kernel(make_qglobal_average);
  // QConcat: 4-D along channels (NHWC inside a range).
  if (g.tensor(n.outputs[0]).shape.size() != 4 || n.attrs.axis != 1) return {};
  return contiguous_kernel(make_qconcat);
}

}  // namespace tandem::cpu
