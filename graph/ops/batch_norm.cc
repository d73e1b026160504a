// BatchNormalization: five inputs, per-channel parameters, epsilon >= 0.
#include "graph/ops/rules.h"

#include <string>

namespace tandem {
namespace {
using namespace rules;

Status infer_batch_norm(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 5, 5, 5, 1));
  if (c.rank(0) < 2) return c.fail("input X has shape " + str(c.s(0)) + ", expected rank >= 2");
  const int64_t ch = c.s(0)[1];
  static const char* kNames[] = {"", "scale", "B", "mean", "var"};
  for (size_t i = 1; i < 5; ++i)
    if (c.s(i) != Shape{ch})
      return c.fail(std::string(kNames[i]) + " has shape " + str(c.s(i)) + ", expected " + num(ch) +
                    " (the channels of X)");
  if (!(c.n.attrs.epsilon >= 0)) return c.fail("epsilon must be >= 0");
  out->push_back(c.s(0));
  return Status();
}

}  // namespace

const OpDef op_defs::BatchNormalization{infer_batch_norm, no_macs};

}  // namespace tandem
