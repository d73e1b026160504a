// GlobalAveragePool, GlobalMaxPool: every spatial dim becomes 1.
#include "graph/ops/rules.h"

#include <algorithm>

namespace tandem {
namespace {
using namespace rules;

Status infer_global_pool(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  if (c.rank(0) < 3) return c.fail("input X has shape " + str(c.s(0)) + ", expected rank >= 3");
  Shape r = c.s(0);
  std::fill(r.begin() + 2, r.end(), 1);
  out->push_back(std::move(r));
  return Status();
}

}  // namespace

const OpDef op_defs::GlobalAveragePool{infer_global_pool, no_macs};
const OpDef op_defs::GlobalMaxPool{infer_global_pool, no_macs};

}  // namespace tandem
