#include "graph/shape_inference.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "graph/ops/rules.h"
#include "graph/quant_rules.h"

namespace tandem {

using rules::num;
using rules::str;

Status infer_node_shapes(const Graph& g, const Node& n, std::vector<Shape>* out_shapes) {
  ShapeContext c{n, {}, "node '" + n.name + "' (" + std::string(op_name(n.op)) + ")"};
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const int id = n.inputs[i];
    if (id == -1) {
      c.in.push_back(nullptr);
      continue;
    }
    if (!g.valid_tensor(id))
      return c.fail("input " + std::to_string(i) + " is tensor id " + std::to_string(id) +
                    ", which does not exist");
    const Tensor& t = g.tensor(id);
    for (int64_t d : t.shape)
      if (d < 0 || d > kMaxDim)
        return c.fail("input '" + t.name + "' has an invalid dim " + num(d));
    if (shape_elements(t.shape) > kMaxElements)
      return c.fail("input '" + t.name + "' is too large");
    // Kernels read constants straight from their bytes: they must hold the shape.
    if (t.is_constant() &&
        t.data->bytes < static_cast<size_t>(shape_elements(t.shape)) * dtype_size(t.dtype))
      return c.fail("constant '" + t.name + "' of shape " + str(t.shape) + " holds only " +
                    std::to_string(t.data->bytes) + " bytes");
    c.in.push_back(&t.shape);
  }
  if (n.outputs.empty()) return c.fail("has no outputs");
  TANDEM_RETURN_IF_ERROR(check_node_dtypes(g, n, c.what));
  const OpDef* def = find_op_def(n.op);
  if (!def) return c.fail("unknown op type " + std::to_string(static_cast<int>(n.op)));
  std::vector<Shape> out;
  TANDEM_RETURN_IF_ERROR(def->infer(c, &out));
  if (out.size() != n.outputs.size())
    return c.fail("has " + std::to_string(n.outputs.size()) + " outputs, expected " +
                  std::to_string(out.size()));
  for (const Shape& s : out) {
    for (int64_t d : s)
      if (d < 0 || d > kMaxDim)
        return c.fail("output dim " + num(d) + " out of range in " + str(s));
    if (shape_elements(s) < 0 || shape_elements(s) > kMaxElements)
      return c.fail("output " + str(s) + " is too large");
  }
  *out_shapes = std::move(out);
  return Status();
}

Status infer_shapes(Graph& g) {
  for (const Node& n : g.nodes) {
    const std::string what = "node '" + n.name + "' (" + std::string(op_name(n.op)) + ")";
    std::vector<Shape> shapes;
    TANDEM_RETURN_IF_ERROR(infer_node_shapes(g, n, &shapes));
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      const int id = n.outputs[k];
      if (!g.valid_tensor(id))
        return invalid_model(what + ": output " + std::to_string(k) + " is tensor id " +
                             std::to_string(id) + ", which does not exist");
      Tensor& t = g.tensor(id);
      if (t.is_constant()) return invalid_model(what + ": writes constant tensor '" + t.name + "'");
      if (!t.shape.empty() && t.shape != shapes[k])
        return invalid_model(what + ": output '" + t.name + "' is declared " + str(t.shape) +
                             " but inferred " + str(shapes[k]));
      t.shape = shapes[k];
      t.dtype = op_output_dtype(n.op);
    }
  }
  return Status();
}

}  // namespace tandem
