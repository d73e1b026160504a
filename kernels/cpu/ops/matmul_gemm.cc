// MatMul on the own GEMM (gemm.h), batch dims broadcast as numpy does: the
// attention products of transformers (Q K^T and softmax(...) V, B a run-time
// tensor) and MatMuls on a constant B the fully connected path does not take.
// A run-time B is repacked into per-batch panels each run (K x N floats, 1/M of
// the multiply's work); a constant B is packed once. One task per batch matrix
// (heads), or the GEMM's own blocking over the pool when there is one matrix.
// Tensors of rank 4 are NHWC inside a range, not MatMul's row-major order: those
// run on the fallback.
#include <algorithm>

#include "graph/shape_util.h"
#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/x86/gemm.h"

namespace tandem::cpu {
namespace {

struct MatMulDims {
  int64_t m = 0, k = 0, n = 0;
  Shape batch;                        // broadcast batch dims
  std::vector<int64_t> a_off, b_off;  // per batch matrix, in floats
};

// Shapes with 1-D operands promoted as numpy does; false when they do not fit.
bool matmul_dims(Shape as, Shape bs, MatMulDims* d) {
  if (as.empty() || bs.empty()) return false;
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  d->m = as[as.size() - 2];
  d->k = as.back();
  d->n = bs.back();
  if (bs[bs.size() - 2] != d->k || d->m <= 0 || d->k <= 0 || d->n <= 0) return false;
  const Shape ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  if (!broadcast_shapes(ab, bb, &d->batch)) return false;
  const std::vector<int64_t> sa = broadcast_strides(ab, d->batch);
  const std::vector<int64_t> sb = broadcast_strides(bb, d->batch);
  const int64_t count = shape_elements(d->batch);
  for (int64_t i = 0; i < count; ++i) {
    int64_t rest = i, oa = 0, ob = 0;
    for (size_t j = d->batch.size(); j-- > 0;) {
      const int64_t c = rest % d->batch[j];
      rest /= d->batch[j];
      oa += c * sa[j];
      ob += c * sb[j];
    }
    d->a_off.push_back(oa * d->m * d->k);
    d->b_off.push_back(ob * d->k * d->n);
  }
  // One B for every matrix of a contiguous A ([197, 1, 768] x [768, 2304] after ViT's
  // unit transpose): one matrix of all the rows, so the GEMM's tiles fill.
  bool collapse = count > 1;
  for (int64_t i = 0; i < count && collapse; ++i)
    collapse = d->b_off[size_t(i)] == 0 && d->a_off[size_t(i)] == i * d->m * d->k;
  if (collapse) {
    d->m *= count;
    d->batch = {1};
    d->a_off = {0};
    d->b_off = {0};
  }
  return true;
}

class MatMulGemmKernel : public CpuKernel {
 public:
  Status init(const KernelArgs& a, const MatMulDims& d) {
    d_ = d;
    a_ = a.inputs[0].data;
    b_ = a.inputs[1].data;
    c_ = a.outputs[0].data;
    constant_b_ = a.inputs[1].constant;
    single_thread_ = a.options.threads <= 1;
    const CpuIsa isa = a.options.isa;
    const size_t count = d.a_off.size();
    // Gemm (constant B): Y = alpha * A * B' + beta * C, C a bias row or a scalar.
    const NodeAttrs& at = a.node->attrs;
    const bool gemm = a.node->op == OpType::kGemm;
    const bool trans = gemm && at.trans_b;
    const float alpha = gemm ? at.alpha : 1.0f;
    std::vector<float> bias;
    if (gemm && a.inputs.size() > 2 && a.inputs[2].data) {
      const CpuTensor& c = a.inputs[2];
      for (int64_t j = 0; j < d.n; ++j) bias.push_back(at.beta * c.data[c.elements() == 1 ? 0 : j]);
      consumed_constants.push_back(a.node->inputs[2]);
    }
    if (a.bias.data) {  // a following Add's row (fusion.cc: fuse_matmul_biases)
      bias.resize(size_t(d.n), 0.0f);
      for (int64_t j = 0; j < d.n; ++j) bias[size_t(j)] += a.bias.data[j];
    }
    // A constant B broadcast over the batch is packed once and shared.
    const bool shared = constant_b_ && std::all_of(d.b_off.begin(), d.b_off.end(),
                                                   [](int64_t o) { return o == 0; });
    for (size_t i = 0; i < (shared ? 1 : count); ++i) {
      const float* src = b_ + d.b_off[i];
      const int64_t n = d.n, k = d.k;
      packed_.push_back(
          pack_gemm_b(isa, k, n, bias.empty() ? nullptr : bias.data(), [&](int64_t kk, int64_t j) {
            if (!constant_b_) return 0.0f;
            return alpha * (trans ? src[j * k + kk] : src[kk * n + j]);
          }));
    }
    // The node's own activation, or (with a fused bias Add) the Add's.
    const FusedActivation act = a.activation.active() ? a.activation : at.activation;
    lo_ = act.min;
    hi_ = act.max;
    if (constant_b_) consumed_constants.push_back(a.node->inputs[1]);
    return Status();
  }
  Status run(pthreadpool_t pool) override {
    if (d_.a_off.size() == 1 && constant_b_) {
      // One thread: all rows at once, so B streams from memory once (gemm_f32 splits
      // ViT's 197 rows into two M blocks for the pool and reads B twice): fc chain of
      // ViT-B/16's MLP + in-projection shapes, 18.2-19.0 vs 18.7-20.9 ms CPU, 4 runs.
      if (single_thread_) {
        // ... and panel by panel while A fits L2 (ViT's [197, 768] A, 605 KB), so B
        // streams with its prefetch: ViT-B/16 one thread 280-290 vs 296-307 ms CPU, 4 pairs.
        GemmCall c = call(0);
        c.panel_major_bytes = int64_t(1536) << 10;
        gemm_f32_rows(packed_[0], c, 0, d_.m);
      } else
        gemm_f32(packed_[0], call(0), pool, cpu_pool_flags());
      return Status();
    }
    pthreadpool_parallelize_1d(pool, matrix_task, this, d_.a_off.size(), cpu_pool_flags());
    return Status();
  }
  const char* kind() const override {
    return packed_[0].isa == CpuIsa::kAvx512 ? "gemm_avx512" : "gemm_avx2";
  }

 private:
  GemmCall call(size_t i) const {
    GemmCall c;
    c.m = d_.m;
    c.a = a_ + d_.a_off[i];
    c.lda = d_.k;
    c.c = c_ + int64_t(i) * d_.m * d_.n;
    c.ldc = d_.n;
    c.lo = lo_;
    c.hi = hi_;
    return c;
  }
  static void matrix_task(void* ctx, size_t i) {
    auto* k = static_cast<MatMulGemmKernel*>(ctx);
    PackedGemmB& p = k->packed_[k->packed_.size() == 1 ? 0 : i];
    if (!k->constant_b_) {
      const float* src = k->b_ + k->d_.b_off[i];
      const int64_t n = k->d_.n;
      repack_gemm_b(&p, [src, n](int64_t kk, int64_t j) { return src[kk * n + j]; });
    }
    gemm_f32_rows(p, k->call(i), 0, k->d_.m);
  }

  MatMulDims d_;
  const float* a_ = nullptr;
  const float* b_ = nullptr;
  float* c_ = nullptr;
  bool constant_b_ = false;
  bool single_thread_ = false;
  std::vector<PackedGemmB> packed_;
  float lo_ = 0, hi_ = 0;
};

// Gemm's A [M, K] and B [K, N] (or [N, K] with trans_b) as one matrix product.
bool gemm_node_dims(const Shape& x, const Shape& b, bool trans_b, MatMulDims* d) {
  if (x.size() != 2 || b.size() != 2) return false;
  d->m = x[0];
  d->k = x[1];
  d->n = trans_b ? b[0] : b[1];
  if ((trans_b ? b[1] : b[0]) != d->k || d->m <= 0 || d->k <= 0 || d->n <= 0) return false;
  d->batch = {1};
  d->a_off = {0};
  d->b_off = {0};
  return true;
}

bool node_dims(const Graph& g, const Node& n, MatMulDims* d) {
  const Shape& x = g.tensor(n.inputs[0]).shape;
  const Shape& b = g.tensor(n.inputs[1]).shape;
  return n.op == OpType::kGemm ? gemm_node_dims(x, b, n.attrs.trans_b, d) : matmul_dims(x, b, d);
}

Expected<KernelPtr> make_matmul_gemm(const KernelArgs& a) {
  for (const CpuTensor* t : {&a.inputs[0], &a.inputs[1], &a.outputs[0]})
    if (t->nhwc) return unsupported("MatMul '" + a.node->name + "' on an NHWC tensor");
  MatMulDims d;
  if (!node_dims(*a.g, *a.node, &d))
    return internal_error("MatMul '" + a.node->name + "': shapes do not multiply");
  auto k = std::make_unique<MatMulGemmKernel>();
  TANDEM_RETURN_IF_ERROR(k->init(a, d));
  return KernelPtr(std::move(k));
}

}  // namespace

CpuOpSupport matmul_support(const Graph& g, const Node& n, const CpuKernelOptions& options) {
  CpuOpSupport fc = fully_connected_support(g, n);
  if (n.inputs.size() != 2 || n.inputs[0] < 0 || n.inputs[1] < 0 || n.outputs.size() != 1)
    return {};
  const Tensor& x = g.tensor(n.inputs[0]);
  const Tensor& b = g.tensor(n.inputs[1]);
  const Shape& y = g.tensor(n.outputs[0]).shape;
  MatMulDims d;
  // 4-D operands: logical ones only (image_layout.h); make_matmul_gemm refuses NHWC.
  const bool own = gemm_isa_supported(options.isa) && !x.is_constant() && !y.empty() &&
                   matmul_dims(x.shape, b.shape, &d);
  // gemm=xnnpack keeps constant-B MatMuls on the fully connected path, gemm=own takes
  // them all, auto where the own GEMM is measured to pay.
  using G = CpuKernelOptions::Gemm;
  const bool prefer_own = options.gemm == G::kOwn ||
                          (options.gemm == G::kAuto && matmul_gemm_profitable(g, n, options.isa));
  if (fc.factory && !(own && prefer_own)) return fc;
  if (!own) return {};
  CpuOpSupport s = contiguous_kernel(make_matmul_gemm);
  s.adds_bias = true;
  return s;
}

// ViT-B/16's projections and MLP ([197, 768] x [768, 3072], [3072, 768], [768, 2304]),
// one thread, fastest of 20 runs on a loaded machine: 19.9 ms on the AVX-512 GEMM vs
// 33.7 on XNNPACK's fully connected, 30.7 vs 35.4 at isa=avx2. Few rows (a batch-1
// classifier head) are memory-bound and waste most of a 12-row tile: XNNPACK.
CpuOpSupport gemm_node_support(const Graph& g, const Node& n, const CpuKernelOptions& options) {
  CpuOpSupport fc = fully_connected_support(g, n);  // checks B and C are constants
  using G = CpuKernelOptions::Gemm;
  const bool prefer_own = options.gemm == G::kOwn ||
                          (options.gemm == G::kAuto && matmul_gemm_profitable(g, n, options.isa));
  MatMulDims d;
  if (!fc.factory || n.attrs.trans_a || !prefer_own || !gemm_isa_supported(options.isa) ||
      !node_dims(g, n, &d))
    return fc;
  return contiguous_kernel(make_matmul_gemm);
}

bool matmul_gemm_profitable(const Graph& g, const Node& n, CpuIsa isa) {
  if (!gemm_isa_supported(isa)) return false;
  MatMulDims d;
  if (!node_dims(g, n, &d)) return false;
  const int64_t rows = d.m * int64_t(d.a_off.size());
  return rows >= 24 && d.k >= 32 && d.n >= 24;
}

}  // namespace tandem::cpu
