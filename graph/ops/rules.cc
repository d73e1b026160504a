#include "graph/ops/rules.h"

#include <algorithm>

namespace tandem::rules {

Status check_arity(const ShapeContext& c, size_t min_in, size_t max_in, size_t required,
                   size_t outputs) {
  const size_t n_in = c.in.size();
  if (n_in < min_in || n_in > max_in)
    return c.fail("has " + std::to_string(n_in) + " inputs, expected " +
                  (min_in == max_in ? std::to_string(min_in)
                                    : std::to_string(min_in) + ".." + std::to_string(max_in)));
  for (size_t i = 0; i < std::min(required, n_in); ++i)
    if (!c.in[i]) return c.fail("required input " + std::to_string(i) + " is absent");
  if (outputs != 0 && c.n.outputs.size() != outputs)
    return c.fail("has " + std::to_string(c.n.outputs.size()) + " outputs, expected " +
                  std::to_string(outputs));
  return Status();
}

Status check_rank(const ShapeContext& c, size_t i, int64_t rank, const char* name) {
  if (c.rank(i) != rank)
    return c.fail(std::string(name) + " has shape " + str(c.s(i)) + ", expected rank " + num(rank));
  return Status();
}

Status infer_unary(const ShapeContext& c, std::vector<Shape>* out) {
  TANDEM_RETURN_IF_ERROR(check_arity(c, 1, 1, 1, 1));
  out->push_back(c.s(0));
  return Status();
}

int64_t no_macs(const Graph&, const Node&) {
  return 0;
}

int64_t output_elements(const Graph& g, const Node& n, size_t k) {
  return n.outputs.size() > k ? std::max<int64_t>(0, shape_elements(g.tensor(n.outputs[k]).shape))
                              : 0;
}

}  // namespace tandem::rules
