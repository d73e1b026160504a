// What graph/ knows about each op: how it infers its output shapes (and
// checks its inputs and attributes) and how many multiply-accumulates it
// does. One OpDef per op in ops.def, named after it (op_defs::Conv, ...) and
// defined in graph/ops/<file>.cc; a missing one is a link error. Adding an op:
// docs/adding_an_op.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace tandem {

// What one op's shape inference sees: its node, input shapes (nullptr for an
// absent optional input) and a prefix naming the node for errors.
struct ShapeContext {
  const Node& n;
  std::vector<const Shape*> in;
  std::string what;

  Status fail(const std::string& msg) const { return invalid_model(what + ": " + msg); }
  const Shape& s(size_t i) const { return *in[i]; }
  int64_t rank(size_t i) const { return static_cast<int64_t>(in[i]->size()); }
};

// Appends the node's output shapes to `out`; errors go through c.fail.
using ShapeRule = Status (*)(const ShapeContext& c, std::vector<Shape>* out);
// Multiply-accumulates of the node; shapes are inferred. 0 for data movement.
using MacRule = int64_t (*)(const Graph& g, const Node& n);

struct OpDef {
  ShapeRule infer = nullptr;
  MacRule macs = nullptr;
};

namespace op_defs {
#define TANDEM_OP(name, id) extern const OpDef name;
#include "graph/ops.def"
#undef TANDEM_OP
}  // namespace op_defs

// The OpDef of `op`; nullptr for values outside ops.def (file data).
const OpDef* find_op_def(OpType op);

}  // namespace tandem
