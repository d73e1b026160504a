// --input-shape parsing and fixing the ONNX graph inputs' shapes before shape inference.
#include <set>

#include "formats/onnx/converter.h"
#include "formats/onnx/input_shapes.h"

namespace tandem {

Expected<std::pair<std::string, Shape>> parse_input_shape(const std::string& spec) {
  size_t eq = spec.rfind('=');
  std::string name = eq == std::string::npos ? "" : spec.substr(0, eq);
  std::string dims = eq == std::string::npos ? spec : spec.substr(eq + 1);
  Shape shape;
  size_t pos = 0;
  while (pos <= dims.size()) {
    size_t x = dims.find_first_of("x,", pos);
    std::string d = dims.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
    if (d.empty() || d.find_first_not_of("0123456789") != std::string::npos || d.size() > 9)
      return invalid_argument("--input-shape '" + spec +
                              "': expected NAME=1x3x224x224 (positive integers)");
    int64_t v = std::stoll(d);
    if (v <= 0)
      return invalid_argument("--input-shape '" + spec + "': dimensions must be positive");
    shape.push_back(v);
    if (x == std::string::npos) break;
    pos = x + 1;
  }
  if (eq != std::string::npos && name.empty())
    return invalid_argument("--input-shape '" + spec + "': empty input name");
  return std::make_pair(name, shape);
}

namespace onnx_import {

std::string input_shape_note(const onnx::GraphProto& g,
                             const std::map<std::string, Shape>& requested) {
  std::set<std::string> initializers;
  for (const auto& t : g.initializer()) initializers.insert(t.name());
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const auto& in : g.input())
    if (!initializers.count(in.name())) inputs.push_back(&in);
  std::string note;
  for (const auto* in : inputs) {
    auto it = requested.find(in->name());
    if (it == requested.end() && inputs.size() == 1) it = requested.find("");
    if (it == requested.end()) continue;
    std::string was;
    const auto& tt = in->type().tensor_type();
    for (const auto& d : tt.shape().dim()) {
      was += was.empty() ? "" : "x";
      was += d.has_dim_value() ? std::to_string(d.dim_value())
                               : (d.dim_param().empty() ? "?" : d.dim_param());
    }
    if (!tt.has_shape()) was = "unknown rank";
    note +=
        (note.empty() ? "" : "; ") + in->name() + " " + was + " -> " + shape_to_string(it->second);
  }
  return note;
}

Status fix_input_shapes(const std::string& path, onnx::GraphProto* g,
                        const std::map<std::string, Shape>& requested) {
  std::set<std::string> initializers;
  for (const auto& t : g->initializer()) initializers.insert(t.name());
  std::vector<onnx::ValueInfoProto*> inputs;
  std::string names;
  for (auto& in : *g->mutable_input())
    if (!initializers.count(in.name())) {
      inputs.push_back(&in);
      names += (names.empty() ? "'" : ", '") + in.name() + "'";
    }
  std::map<std::string, Shape> req = requested;
  if (req.count("") && inputs.size() == 1) {  // a bare 1x3x224x224 names the only input
    req[inputs[0]->name()] = req[""];
    req.erase("");
  }
  for (const auto& kv : req) {
    bool found = false;
    for (auto* in : inputs) found |= in->name() == kv.first;
    if (!found)
      return invalid_argument("--input-shape names '" + kv.first + "', but the graph inputs of " +
                              path + " are " + names);
  }
  for (auto* in : inputs) {
    if (!in->type().has_tensor_type())
      return unsupported(path + ": graph input '" + in->name() + "' is not a tensor");
    auto* tt = in->mutable_type()->mutable_tensor_type();
    if (tt->elem_type() != onnx::TensorProto::FLOAT)
      return unsupported(path + ": graph input '" + in->name() + "' is " +
                         elem_type_name(tt->elem_type()) + "; Tandem converts float32 graphs only");
    auto it = req.find(in->name());
    if (it != req.end()) {
      if (tt->has_shape() && tt->shape().dim_size() != static_cast<int>(it->second.size()))
        return invalid_argument("--input-shape " + in->name() + "=" + shape_to_string(it->second) +
                                " has rank " + std::to_string(it->second.size()) +
                                ", the model's input has rank " +
                                std::to_string(tt->shape().dim_size()));
      tt->mutable_shape()->clear_dim();
      for (int64_t d : it->second) tt->mutable_shape()->add_dim()->set_dim_value(d);
      continue;
    }
    std::string shown;
    bool dynamic = !tt->has_shape();
    for (const auto& d : tt->shape().dim()) {
      shown += shown.empty() ? "" : "x";
      if (d.has_dim_value() && d.dim_value() > 0) {
        shown += std::to_string(d.dim_value());
      } else {
        dynamic = true;
        shown += d.has_dim_param() && !d.dim_param().empty() ? d.dim_param() : "?";
      }
    }
    if (dynamic)
      return invalid_argument(path + ": graph input '" + in->name() + "' has a dynamic shape (" +
                              (tt->has_shape() ? shown : "unknown rank") +
                              "); fix it with --input-shape " + in->name() +
                              "=1x3x224x224 (your dimensions)");
  }
  for (const auto& out : g->output()) {
    if (out.type().has_tensor_type() &&
        out.type().tensor_type().elem_type() != onnx::TensorProto::FLOAT)
      return unsupported(path + ": graph output '" + out.name() + "' is " +
                         elem_type_name(out.type().tensor_type().elem_type()) +
                         "; Tandem converts float32 graphs only");
  }
  return Status();
}

}  // namespace onnx_import
}  // namespace tandem
