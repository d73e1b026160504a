// Builds small ONNX models in C++ for the converter tests.
#pragma once

#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "tests/helpers.h"

namespace tandem::test {

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int64_t opset = 13) {
    model.set_ir_version(8);
    model.set_producer_name("tandem-tests");
    auto* op = model.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    graph()->set_name("test");
  }
  onnx::GraphProto* graph() { return model.mutable_graph(); }

  // Graph input; a dim < 0 is written as the symbolic dimension "N".
  void input(const std::string& name, const std::vector<int64_t>& shape,
             int32_t elem = onnx::TensorProto::FLOAT) {
    auto* v = graph()->add_input();
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    auto* s = tt->mutable_shape();
    for (int64_t d : shape) {
      if (d < 0)
        s->add_dim()->set_dim_param("N");
      else
        s->add_dim()->set_dim_value(d);
    }
  }
  void output(const std::string& name, int32_t elem = onnx::TensorProto::FLOAT) {
    auto* v = graph()->add_output();
    v->set_name(name);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(elem);
  }
  onnx::TensorProto* init_floats(const std::string& name, const std::vector<int64_t>& shape,
                                 const std::vector<float>& values) {
    auto* t = graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4));
    return t;
  }
  // Random float weights of `shape`.
  void init_random(const std::string& name, const std::vector<int64_t>& shape, uint32_t seed) {
    init_floats(name, shape, random_floats(static_cast<size_t>(shape_elements(shape)), seed));
  }
  void init_ints(const std::string& name, const std::vector<int64_t>& values) {
    auto* t = graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) t->add_int64_data(v);
  }
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "") {
    auto* n = graph()->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? op + "_" + std::to_string(graph()->node_size()) : name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return n;
  }
  static void attr(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void attr(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  // Writes the model under the build tree's test folder; returns its path.
  std::string save(const std::string& file) const {
    std::string path = temp_path(file);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    model.SerializeToOstream(&out);
    return path;
  }

  onnx::ModelProto model;
};

}  // namespace tandem::test
