// The 8-bit ops (docs/int8.md): shapes as their float twins; dtypes and
// quantization are checked by check_node_dtypes (graph/quant_rules.cc).
#include "graph/ops/rules.h"

namespace tandem {
namespace {
using namespace rules;

Status infer_qconv(const ShapeContext& c, std::vector<Shape>* out) {
  return op_defs::Conv.infer(c, out);
}
int64_t qconv_macs(const Graph& g, const Node& n) {
  return op_defs::Conv.macs(g, n);
}

// x [N, K], W [M, K] (already transposed), B [M] -> [N, M].
Status infer_qgemm(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 2, 3, 2, 1));
  TANDEM_RETURN_IF_ERROR(check_rank(c, 0, 2, "input X"));
  TANDEM_RETURN_IF_ERROR(check_rank(c, 1, 2, "weight W"));
  const Shape& x = c.s(0);
  const Shape& w = c.s(1);
  if (x[1] != w[1])
    return c.fail("input X " + str(x) + " has " + num(x[1]) + " features, weight W " + str(w) +
                  " expects " + num(w[1]));
  if (c.in.size() == 3 && c.in[2] && c.s(2) != Shape{w[0]})
    return c.fail("bias has shape " + str(c.s(2)) + ", expected " + num(w[0]));
  out->push_back({x[0], w[0]});
  return Status();
}
int64_t qgemm_macs(const Graph& g, const Node& n) {
  const Shape& w = g.tensor(n.inputs[1]).shape;
  return w.size() == 2 ? output_elements(g, n, 0) * w[1] : 0;
}

// Same-shape operands only (no broadcasting in stage 1).
Status infer_qadd(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 2, 2, 2, 1));
  if (c.s(0) != c.s(1))
    return c.fail("operands " + str(c.s(0)) + " and " + str(c.s(1)) +
                  " differ (QAdd does not broadcast)");
  out->push_back(c.s(0));
  return Status();
}

Status infer_qconcat(const ShapeContext& c, std::vector<Shape>* out) {
  return op_defs::Concat.infer(c, out);
}
Status infer_qmax_pool(const ShapeContext& c, std::vector<Shape>* out) {
  return op_defs::MaxPool.infer(c, out);
}
Status infer_qglobal_pool(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_rank(c, 0, 4, "input X"));
  return op_defs::GlobalAveragePool.infer(c, out);
}

}  // namespace

const OpDef op_defs::QuantizeLinear{infer_unary, no_macs};
const OpDef op_defs::DequantizeLinear{infer_unary, no_macs};
const OpDef op_defs::QConv{infer_qconv, qconv_macs};
const OpDef op_defs::QGemm{infer_qgemm, qgemm_macs};
const OpDef op_defs::QAdd{infer_qadd, no_macs};
const OpDef op_defs::QConcat{infer_qconcat, no_macs};
const OpDef op_defs::QMaxPool{infer_qmax_pool, no_macs};
const OpDef op_defs::QGlobalAveragePool{infer_qglobal_pool, no_macs};

}  // namespace tandem
