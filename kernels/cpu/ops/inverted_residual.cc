// MobileNet's inverted residual block -- a 1x1 expansion, a 3x3 or 5x5 depthwise
// conv and a 1x1 projection (plus the residual Add the compiler fuses into the
// projection) -- as one kernel, output row by output row. Each task keeps the K
// expanded input rows that the depthwise conv reads in a ring buffer and the
// depthwise output row in a second buffer, both in L2, so the block's widest
// activation (3-6x the channels of its input and output) is never written to
// memory and read back: standalone, the expansion and depthwise conv of the 56x56
// and 112x112 blocks are bound by that traffic. An expanded row is computed once
// per task (tasks split the output rows; a task recomputes at most the K - 1 rows
// above its first).
#include <algorithm>

#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/ops/conv_geometry.h"
#include "kernels/cpu/x86/dwconv_rows.h"
#include "kernels/cpu/x86/gemm.h"

namespace tandem::cpu {
namespace {

// Floats of scratch per task: K expanded rows (with an expansion) and one
// depthwise output row.
int64_t task_floats(const ConvGeometry& dw, bool expansion) {
  return ((expansion ? dw.kh * dw.w : 0) + dw.ow) * dw.c;
}

#if defined(__x86_64__)

const float* bias_of(const std::vector<CpuTensor>& inputs) {
  return inputs.size() > 2 && inputs[2].data ? inputs[2].data : nullptr;
}

// 1x1 conv weights ONNX [N, K, 1, 1] as packed GEMM B [K, N] for level `isa`.
PackedGemmB pack_1x1(CpuIsa isa, const CpuTensor& w, const float* bias) {
  const int64_t n = w.shape[0], k = w.shape[1];
  const float* d = w.data;
  return pack_gemm_b(isa, k, n, bias, [&](int64_t kk, int64_t nn) { return d[nn * k + kk]; });
}

class InvertedResidualKernel : public CpuKernel {
 public:
  Status init(const KernelArgs& a, int threads) {
    const Node& pw = *a.node;
    // absorbed: {expansion, depthwise}, or {depthwise} for a block without expansion.
    if (a.absorbed.empty() || a.absorbed.size() > 2 || !a.workspace)
      return internal_error("fused block ending in '" + pw.name +
                            "' is missing its parts or workspace");
    const bool has_ex = a.absorbed.size() == 2;
    const Node* ex = has_ex ? a.absorbed[0].node : nullptr;
    const Node& dw = *a.absorbed.back().node;
    const std::vector<CpuTensor>& dw_in = a.absorbed.back().inputs;
    const std::vector<CpuTensor>* ex_in = has_ex ? &a.absorbed[0].inputs : nullptr;
    if (dw_in.size() < 2 || (ex_in && ex_in->size() < 2))
      return internal_error("fused block ending in '" + pw.name + "' is missing inputs");
    const CpuTensor& x = ex_in ? (*ex_in)[0] : dw_in[0];
    x_ = x.data;
    in_stride_ = x.pixel_stride;
    if (ex) {
      expand_ = pack_1x1(a.options.isa, (*ex_in)[1], bias_of(*ex_in));
      expand_lo_ = ex->attrs.activation.min;
      expand_hi_ = ex->attrs.activation.max;
    }
    q_ = conv_geometry(*a.g, dw);
    // The depthwise conv reads the ring (pixel stride C), or x itself.
    dw_.init(q_, dw_in[1].data, bias_of(dw_in), dw.attrs.activation.min, dw.attrs.activation.max,
             ex ? q_.c : in_stride_, a.options.isa);
    project_ = pack_1x1(a.options.isa, a.inputs[1], bias_of(a.inputs));
    call_.lda = q_.c;
    call_.c = a.outputs[0].data;
    call_.ldc = a.outputs[0].pixel_stride;
    call_.lo = pw.attrs.activation.min;
    call_.hi = pw.attrs.activation.max;
    if (a.residual.data) {  // the Add after the block
      call_.r = a.residual.data;
      call_.ldr = a.residual.pixel_stride;
      call_.lo = a.activation.min;
      call_.hi = a.activation.max;
    }
    tasks_ = std::max<int64_t>(1, std::min<int64_t>(threads, q_.n * q_.oh));
    scratch_ = a.workspace;
    for (const Node* n : {ex, &dw, &pw}) {
      if (!n) continue;
      consumed_constants.push_back(n->inputs[1]);
      if (n->inputs.size() > 2 && n->inputs[2] >= 0) consumed_constants.push_back(n->inputs[2]);
    }
    return Status();
  }

  const char* kind() const override {
    return dw_.isa() == CpuIsa::kAvx512 ? "inverted_residual" : "inverted_residual_avx2";
  }

  Status run(pthreadpool_t pool) override {
    pthreadpool_parallelize_1d(pool, task, this, size_t(tasks_), cpu_pool_flags());
    return Status();
  }

 private:
  static void task(void* ctx, size_t index) {
    const auto* k = static_cast<const InvertedResidualKernel*>(ctx);
    const int64_t rows = k->q_.n * k->q_.oh;
    k->rows(int64_t(index) * rows / k->tasks_, int64_t(index + 1) * rows / k->tasks_,
            k->scratch_ + int64_t(index) * task_floats(k->q_, k->expand_.n > 0));
  }

  // Output rows [r0, r1) (image-major) through `scratch`.
  void rows(int64_t r0, int64_t r1, float* scratch) const {
    const ConvGeometry& q = q_;
    const int64_t row_floats = q.w * q.c;
    float* ring = scratch;
    const int k = int(q.kh);
    float* dw_out = scratch + (expand_.n > 0 ? k * row_floats : 0);  // after the ring
    int64_t held[DwConvRows::kMaxK];  // image * h + iy of the expanded row in each slot
    std::fill(held, held + k, -1);
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t img = r / q.oh, oy = r % q.oh;
      const float* in_rows[DwConvRows::kMaxK];
      for (int ky = 0; ky < k; ++ky) {
        const int64_t iy = oy * q.sh - q.pt + ky;
        if (iy < 0 || iy >= q.h) {
          in_rows[ky] = dw_.zeros();
          continue;
        }
        const int64_t key = img * q.h + iy, slot = iy % k;
        if (expand_.n == 0) {  // no expansion: the depthwise conv reads x's rows
          in_rows[ky] = x_ + key * q.w * in_stride_;
          continue;
        }
        float* dst = ring + slot * row_floats;
        if (held[slot] != key) {  // expand input row iy into the ring
          GemmCall e;
          e.m = q.w;
          e.a = x_ + key * q.w * in_stride_;
          e.lda = in_stride_;
          e.c = dst;
          e.ldc = q.c;
          e.lo = expand_lo_;
          e.hi = expand_hi_;
          gemm_f32_rows(expand_, e, 0, q.w);
          held[slot] = key;
        }
        in_rows[ky] = dst;
      }
      dw_.row_from(in_rows, expand_.n == 0 ? in_stride_ : q.c, 0, q.ow, dw_out, q.c);
      GemmCall p = call_;
      p.a = dw_out;
      p.m = q.ow;
      p.c += r * q.ow * p.ldc;
      if (p.r) p.r += r * q.ow * p.ldr;
      gemm_f32_rows(project_, p, 0, q.ow);
    }
  }

  const float* x_ = nullptr;
  int64_t in_stride_ = 0;
  PackedGemmB expand_, project_;
  float expand_lo_ = 0, expand_hi_ = 0;
  ConvGeometry q_{};
  DwConvRows dw_;
  GemmCall call_;
  int64_t tasks_ = 1;
  float* scratch_ = nullptr;
};

#endif

bool direct_1x1_on_gemm(const Graph& g, const Node& n, CpuIsa isa) {
  return n.op == OpType::kConv && gemm_conv_applicable(g, n, isa) && conv_geometry(g, n).direct();
}

}  // namespace

bool inverted_residual_fusable(const Graph& g, const Node* expand, const Node& dw,
                               const Node& project, CpuIsa isa) {
  if ((expand && !direct_1x1_on_gemm(g, *expand, isa)) || !direct_1x1_on_gemm(g, project, isa) ||
      !dwconv_applicable(g, dw, isa))
    return false;
  if ((expand && dw.inputs[0] != expand->outputs[0]) || project.inputs[0] != dw.outputs[0])
    return false;
  // Rows of at least 28 pixels: each expanded row is one GEMM call, whose weights
  // must pay off over its pixels (at 14x14 the expanded maps fit in L2 anyway).
  return conv_geometry(g, dw).w >= 28;
}

size_t inverted_residual_workspace_floats(const Graph& g, const Node& dw, bool expansion,
                                          int threads) {
  return size_t(std::max(threads, 1)) * size_t(task_floats(conv_geometry(g, dw), expansion));
}

Expected<KernelPtr> make_inverted_residual(const KernelArgs& a) {
#if defined(__x86_64__)
  if (a.options.isa < CpuIsa::kAvx2)
    return internal_error("fused block ending in '" + a.node->name + "' needs isa avx2 or avx512");
  auto k = std::make_unique<InvertedResidualKernel>();
  const int threads = a.pool ? int(pthreadpool_get_threads_count(a.pool)) : 1;
  TANDEM_RETURN_IF_ERROR(k->init(a, threads));
  return KernelPtr(std::move(k));
#else
  return internal_error("fused inverted residual block on a non-x86 build ('" + a.node->name +
                        "')");
#endif
}

}  // namespace tandem::cpu
