// Gemm and MatMul nodes, and the GEMM behind 1x1 convolutions.
#include "kernels/opencl/gemm.h"

#include <clblast.h>

#include <cmath>

namespace tandem::ocl {
namespace {

constexpr size_t kTile = 16;  // matches TS in cl/gemm.cl

Expected<std::unique_ptr<Op>> make_own_gemm(OpContext& ctx, const GemmArgs& a,
                                            const std::string& node) {
  auto op = std::make_unique<LaunchOp>();
  op->node_name = node;
  cl_mem c_mem = a.C.mem ? a.C.mem : a.Y.mem;  // any valid buffer when there is no C
  if (a.M == 1 && a.batch == 1 && a.a_sk == 1 && a.b_sk == 1 &&
      a.b_sn == a.K) {  // FC rows: 16-wide (vec_ops.cl)
    TANDEM_ASSIGN_OR_RETURN(Launch l,
                            make_launch(ctx, "vec_ops", "gemv_rows_v16", {size_t(a.N), 1, 1}, 1));
    TANDEM_RETURN_IF_ERROR(set_kernel_args(
        l.kernel.get(), node, a.N, a.K, a.A.mem, a.A.offset, a.B.mem, a.B.offset, c_mem, a.C.offset,
        a.c_sn, a.C.mem ? 1 : 0, a.alpha, a.beta, a.Y.mem, a.Y.offset, a.lo, a.hi));
    op->launches.push_back(std::move(l));
    return std::unique_ptr<Op>(std::move(op));
  }
  if (a.M == 1 && a.batch == 1) {
    TANDEM_ASSIGN_OR_RETURN(Launch l, make_launch(ctx, "gemm", "gemv", {size_t(a.N), 1, 1}, 1));
    TANDEM_RETURN_IF_ERROR(set_kernel_args(l.kernel.get(), node, a.N, a.K, a.A.mem, a.A.offset,
                                           a.a_sk, a.B.mem, a.B.offset, a.b_sk, a.b_sn, c_mem,
                                           a.C.offset, a.c_sn, a.C.mem ? 1 : 0, a.alpha, a.beta,
                                           a.Y.mem, a.Y.offset, a.lo, a.hi));
    op->launches.push_back(std::move(l));
    return std::unique_ptr<Op>(std::move(op));
  }
  // gemm=tiled: 16x16 local-memory tiles, for GPUs where that wins; else 16 rows per work-item.
  const bool tiled = ctx.gemm_backend() == "tiled";
  TANDEM_ASSIGN_OR_RETURN(
      Launch l, tiled
                    ? make_launch(ctx, "gemm", "gemm_tiled",
                                  {size_t(a.N), size_t(a.M), size_t(a.batch)}, 3, {kTile, kTile, 1})
                    : make_launch(ctx, "gemm", "gemm_rows16",
                                  {size_t(a.N), size_t(a.M + 15) / 16, size_t(a.batch)}, 3));
  TANDEM_RETURN_IF_ERROR(set_kernel_args(
      l.kernel.get(), node, a.M, a.N, a.K, a.A.mem, a.A.offset, a.a_sm, a.a_sk, a.a_sb, a.B.mem,
      a.B.offset, a.b_sk, a.b_sn, a.b_sb, c_mem, a.C.offset, a.c_sm, a.c_sn, a.C.mem ? 1 : 0,
      a.alpha, a.beta, a.Y.mem, a.Y.offset, a.y_sm, a.y_sb, a.lo, a.hi));
  op->launches.push_back(std::move(l));
  return std::unique_ptr<Op>(std::move(op));
}

// CLBlast SGEMM per batch, then bias + clamp in one pass of our own kernel.
class ClblastGemmOp : public Op {
 public:
  GemmArgs a;
  clblast::Transpose ta = clblast::Transpose::kNo, tb = clblast::Transpose::kNo;
  size_t lda = 0, ldb = 0;
  Launch epilogue;
  bool has_epilogue = false;
  std::string node;

  Status enqueue(cl_command_queue queue) override {
    for (int b = 0; b < a.batch; ++b) {
      clblast::StatusCode s = clblast::Gemm<float>(
          clblast::Layout::kRowMajor, ta, tb, size_t(a.M), size_t(a.N), size_t(a.K), a.alpha,
          a.A.mem, size_t(a.A.offset + b * a.a_sb), lda, a.B.mem, size_t(a.B.offset + b * a.b_sb),
          ldb, 0.0f, a.Y.mem, size_t(a.Y.offset + b * a.y_sb), size_t(a.y_sm), &queue, nullptr);
      if (s != clblast::StatusCode::kSuccess)
        return cl_status(static_cast<cl_int>(s), "node '" + node + "': CLBlast SGEMM (status " +
                                                     std::to_string(static_cast<int>(s)) + ")");
    }
    if (!has_epilogue) return Status();
    cl_int err = clEnqueueNDRangeKernel(queue, epilogue.kernel.get(), 1, nullptr,
                                        epilogue.global.data(), nullptr, 0, nullptr, nullptr);
    return cl_status(err, "node '" + node + "': bias_act");
  }
};

// CLBlast needs unit stride along one dim of A and B and a row-major Y; a C is
// only taken as a per-row or per-column bias with beta 1.
Expected<std::unique_ptr<Op>> make_clblast_gemm(OpContext& ctx, const GemmArgs& a,
                                                const std::string& node) {
  auto op = std::make_unique<ClblastGemmOp>();
  op->a = a;
  op->node = node;
  if (a.a_sk == 1) {
    op->lda = size_t(a.a_sm);
  } else if (a.a_sm == 1) {
    op->ta = clblast::Transpose::kYes;
    op->lda = size_t(a.a_sk);
  } else {
    return std::unique_ptr<Op>();
  }
  if (a.b_sn == 1) {
    op->ldb = size_t(a.b_sk);
  } else if (a.b_sk == 1) {
    op->tb = clblast::Transpose::kYes;
    op->ldb = size_t(a.b_sn);
  } else {
    return std::unique_ptr<Op>();
  }
  int inner = 0, channels = 0;
  if (a.C.mem) {
    if (a.beta != 1.0f) return std::unique_ptr<Op>();
    if (a.c_sm == 1 && a.c_sn == 0) {
      inner = a.N;
      channels = a.M;
    } else if (a.c_sm == 0 && a.c_sn == 1) {
      inner = 1;
      channels = a.N;
    } else {
      return std::unique_ptr<Op>();
    }
  }
  const bool act = a.lo != -INFINITY || a.hi != INFINITY;
  op->has_epilogue = a.C.mem || act;
  if (op->has_epilogue) {
    const int total = a.batch * a.M * a.N;
    TANDEM_ASSIGN_OR_RETURN(op->epilogue,
                            make_launch(ctx, "gemm", "bias_act", {size_t(total), 1, 1}, 1));
    cl_mem c_mem = a.C.mem ? a.C.mem : a.Y.mem;
    TANDEM_RETURN_IF_ERROR(set_kernel_args(op->epilogue.kernel.get(), node, a.Y.mem, a.Y.offset,
                                           total, c_mem, a.C.offset, a.C.mem ? 1 : 0,
                                           inner ? inner : 1, channels ? channels : 1, a.lo, a.hi));
  }
  // CLBlast builds its kernels on first use (no disk cache): run once now so
  // that compile() pays for it, not the first frame.
  cl_command_queue q = ctx.device().queue.get();
  TANDEM_RETURN_IF_ERROR(op->enqueue(q));
  TANDEM_CL_RETURN_IF_ERROR(clFinish(q), "node '" + node + "': CLBlast warm-up");
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace

Expected<std::unique_ptr<Op>> make_gemm(OpContext& ctx, const GemmArgs& a,
                                        const std::string& node) {
  if (ctx.gemm_backend() == "clblast" && !ctx.device().fp16 && a.y_sm == a.N) {
    TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Op> op, make_clblast_gemm(ctx, a, node));
    if (op) return op;
  }
  return make_own_gemm(ctx, a, node);
}

Expected<std::unique_ptr<Op>> make_gemm_op(OpContext& ctx, const Node& n) {
  const Shape& as = shape_of(ctx, n.inputs[0]);
  const Shape& bs = shape_of(ctx, n.inputs[1]);
  const Shape& ys = shape_of(ctx, n.outputs[0]);
  GemmArgs a;
  a.lo = n.attrs.activation.min;
  a.hi = n.attrs.activation.max;
  if (n.op == OpType::kGemm) {
    if (as.size() != 2 || bs.size() != 2) return std::unique_ptr<Op>();
    const bool ta = n.attrs.trans_a, tb = n.attrs.trans_b;
    a.M = static_cast<int>(ta ? as[1] : as[0]);
    a.K = static_cast<int>(ta ? as[0] : as[1]);
    a.N = static_cast<int>(tb ? bs[0] : bs[1]);
    a.a_sm = ta ? 1 : a.K;
    a.a_sk = ta ? a.M : 1;
    a.b_sk = tb ? 1 : a.N;
    a.b_sn = tb ? a.K : 1;
    a.alpha = n.attrs.alpha;
    a.beta = n.attrs.beta;
    if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
      const Shape& cs = shape_of(ctx, n.inputs[2]);
      TANDEM_ASSIGN_OR_RETURN(a.C, ctx.tensor(n.inputs[2]));
      if (cs.size() == 1) {
        a.c_sn = cs[0] == 1 ? 0 : 1;
      } else if (cs.size() == 2) {
        a.c_sm = cs[0] == 1 ? 0 : static_cast<int>(cs[1]);
        a.c_sn = cs[1] == 1 ? 0 : 1;
      } else if (cs.size() > 2) {
        return std::unique_ptr<Op>();
      }
    }
  } else {  // MatMul: A [..., M, K] (leading dims folded into M) x 2-D B
    if (as.size() < 2 || bs.size() != 2) return std::unique_ptr<Op>();
    a.K = static_cast<int>(as.back());
    a.M = static_cast<int>(shape_elements(as) / a.K);
    a.N = static_cast<int>(bs[1]);
    a.a_sm = a.K;
    a.a_sk = 1;
    a.b_sk = a.N;
    a.b_sn = 1;
  }
  if (shape_elements(ys) != int64_t(a.M) * a.N) return std::unique_ptr<Op>();
  TANDEM_ASSIGN_OR_RETURN(a.A, ctx.tensor(n.inputs[0]));
  TANDEM_ASSIGN_OR_RETURN(a.B, ctx.tensor(n.inputs[1]));
  TANDEM_ASSIGN_OR_RETURN(a.Y, ctx.tensor(n.outputs[0]));
  a.y_sm = a.N;
  return make_gemm(ctx, a, n.name);
}

}  // namespace tandem::ocl
