// Helpers shared by the op files of graph/ops/: arity and rank checks, short
// names for error text, and the rules several ops share.
#pragma once

#include <string>

#include "graph/op_def.h"
#include "graph/shape_util.h"

namespace tandem::rules {

inline std::string str(const Shape& s) {
  return shape_to_string(s);
}
inline std::string num(int64_t v) {
  return std::to_string(v);
}

// Checks input/output counts; inputs in [min_in, max_in] of which the first
// `required` must be present; `outputs` 0 accepts any output count.
Status check_arity(const ShapeContext& c, size_t min_in, size_t max_in, size_t required,
                   size_t outputs);
Status check_rank(const ShapeContext& c, size_t i, int64_t rank, const char* name);

// One input, output of the same shape (activations, Identity).
Status infer_unary(const ShapeContext& c, std::vector<Shape>* out);
// Data movement and elementwise ops: no multiply-accumulates.
int64_t no_macs(const Graph& g, const Node& n);

// Elements of output k of `n` (0 when absent or unknown).
int64_t output_elements(const Graph& g, const Node& n, size_t k);

}  // namespace tandem::rules
