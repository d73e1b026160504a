#include "formats/onnx/onnx_loader.h"

#include <onnx/checker.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

namespace tandem::onnx_import {
namespace fs = std::filesystem;

int64_t default_opset(const onnx::ModelProto& model) {
  for (const auto& op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") return op.version();
  return 0;
}

namespace {

Status read_file(const std::string& path, std::string* bytes) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return not_found(path + ": no such file");
  if (fs::is_directory(path, ec)) return invalid_argument(path + ": is a folder, not an ONNX file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(path + ": cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) return io_error(path + ": read failed");
  *bytes = std::move(ss).str();
  return Status();
}

// Reads one external-data tensor into raw_data so the rest of the converter sees inline data.
Status inline_external_tensor(const fs::path& model_dir, const std::string& model_path,
                              onnx::TensorProto* t) {
  std::string location;
  uint64_t offset = 0;
  int64_t length = -1;
  for (const auto& kv : t->external_data()) {
    try {
      if (kv.key() == "location")
        location = kv.value();
      else if (kv.key() == "offset")
        offset = std::stoull(kv.value());
      else if (kv.key() == "length")
        length = std::stoll(kv.value());
    } catch (const std::exception&) {
      return invalid_model(model_path + ": tensor '" + t->name() + "' has a bad external_data " +
                           kv.key() + " '" + kv.value() + "'");
    }
  }
  if (location.empty())
    return invalid_model(model_path + ": tensor '" + t->name() + "' is external but names no file");
  fs::path rel(location);
  if (rel.is_absolute() || rel.lexically_normal().string().rfind("..", 0) == 0)
    return invalid_model(model_path + ": tensor '" + t->name() +
                         "' points outside the model folder ('" + location + "')");
  fs::path file = model_dir / rel;
  std::error_code ec;
  if (!fs::exists(file, ec))
    return not_found(model_path + ": external data file '" + file.string() + "' of tensor '" +
                     t->name() + "' is missing");
  uint64_t size = fs::file_size(file, ec);
  if (ec) return io_error(file.string() + ": cannot stat: " + ec.message());
  if (length < 0) length = static_cast<int64_t>(size - std::min(size, offset));
  if (offset > size || static_cast<uint64_t>(length) > size - offset)
    return invalid_model(model_path + ": tensor '" + t->name() + "' reads bytes [" +
                         std::to_string(offset) + ", " + std::to_string(offset + length) +
                         ") of '" + file.string() + "' which has only " + std::to_string(size) +
                         " bytes");
  std::ifstream in(file, std::ios::binary);
  std::string data(static_cast<size_t>(length), '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  if (!in.read(data.data(), length))
    return io_error(file.string() + ": read failed for tensor '" + t->name() + "'");
  t->set_raw_data(std::move(data));
  t->clear_external_data();
  t->set_data_location(onnx::TensorProto::DEFAULT);
  return Status();
}

Status inline_graph_external_data(const fs::path& dir, const std::string& path,
                                  onnx::GraphProto* g) {
  for (auto& t : *g->mutable_initializer())
    if (t.data_location() == onnx::TensorProto::EXTERNAL)
      TANDEM_RETURN_IF_ERROR(inline_external_tensor(dir, path, &t));
  for (auto& n : *g->mutable_node())
    for (auto& a : *n.mutable_attribute()) {
      if (a.has_t() && a.t().data_location() == onnx::TensorProto::EXTERNAL)
        TANDEM_RETURN_IF_ERROR(inline_external_tensor(dir, path, a.mutable_t()));
      if (a.has_g()) TANDEM_RETURN_IF_ERROR(inline_graph_external_data(dir, path, a.mutable_g()));
    }
  return Status();
}

}  // namespace

Status load_onnx_model(const std::string& path, onnx::ModelProto* model) {
  std::string bytes;
  TANDEM_RETURN_IF_ERROR(read_file(path, &bytes));
  return parse_onnx_model(bytes.data(), bytes.size(), path, model);
}

Status parse_onnx_model(const void* data, size_t size, const std::string& path,
                        onnx::ModelProto* model) {
  if (size == 0) return invalid_model(path + ": file is empty, not an ONNX model");
  if (size > static_cast<size_t>(std::numeric_limits<int>::max()))
    return unsupported(path + ": ONNX files over 2 GiB must keep their weights as external data");
  if (!model->ParseFromArray(data, static_cast<int>(size)))
    return invalid_model(path +
                         ": not an ONNX model, or the file is truncated (protobuf parse failed)");
  // Protobuf accepts many byte strings; a real model has these.
  if (model->ir_version() <= 0 || !model->has_graph() || model->graph().node_size() == 0)
    return invalid_model(path +
                         ": not an ONNX model, or the file is truncated (no IR version or graph)");
  if (default_opset(*model) == 0)
    return invalid_model(path +
                         ": not an ONNX model, or the file is truncated (no ai.onnx opset import)");
  fs::path dir = fs::path(path).parent_path();
  return inline_graph_external_data(dir, path, model->mutable_graph());
}

Status check_onnx_model(const std::string& path, onnx::ModelProto* model) {
  // The checker wants a shape on every graph output; many exporters leave
  // them out and shape inference fills them, so lend it an empty one meanwhile.
  std::vector<onnx::TypeProto_Tensor*> lent;
  for (auto& out : *model->mutable_graph()->mutable_output())
    if (out.type().has_tensor_type() && !out.type().tensor_type().has_shape()) {
      lent.push_back(out.mutable_type()->mutable_tensor_type());
      lent.back()->mutable_shape();
    }
  Status st;
  try {
    onnx::checker::check_model(*model);
  } catch (const std::exception& e) {
    st = invalid_model(path + ": ONNX checker: " + e.what());
  }
  for (auto* t : lent) t->clear_shape();
  return st;
}

}  // namespace tandem::onnx_import
