// Shared by the ONNX converter tests: convert a built model and look at the result.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "formats/onnx/converter.h"
#include "tests/onnx_builder.h"

namespace tandem::test {

inline ConvertOptions raw_mapping() {
  ConvertOptions o;
  o.run_passes = false;  // see the mapping itself
  return o;
}

inline Graph convert_ok(const OnnxBuilder& b, const std::string& file,
                        ConvertOptions o = raw_mapping()) {
  auto r = convert_onnx(b.save(file), o);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return std::move(r).value().graph;
}

inline Status convert_error(const OnnxBuilder& b, const std::string& file,
                            ConvertOptions o = raw_mapping()) {
  auto r = convert_onnx(b.save(file), o);
  REQUIRE_FALSE(r.ok());
  return r.status();
}

inline const Node& single(const Graph& g, OpType op) {
  const Node* found = nullptr;
  int count = 0;
  for (const Node& n : g.nodes)
    if (n.op == op) {
      found = &n;
      ++count;
    }
  INFO("op " << op_name(op));
  REQUIRE(count == 1);
  return *found;
}

inline bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// One-node model: x (shape) -> op -> y.
inline OnnxBuilder unary_model(const std::string& op, std::vector<int64_t> shape,
                               int64_t opset = 13) {
  OnnxBuilder b(opset);
  b.input("x", shape);
  b.node(op, {"x"}, {"y"}, "n");
  b.output("y");
  return b;
}

}  // namespace tandem::test
