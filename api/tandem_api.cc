// The C++ API over the engine (include/tandem/tandem.hpp).
#include "tandem/tandem.hpp"

#include "api/default_registry.h"
#include "engine/executor.h"
#include "formats/model_file.h"

namespace tandem {

const char* version() {
  return TANDEM_VERSION;
}
uint32_t schema_version() {
  return kTdmSchemaVersion;
}
uint32_t min_readable_schema_version() {
  return kTdmMinReaderVersion;
}

Expected<Model> Model::load(const std::string& path, const LoadOptions& options) {
  ReadOptions ro;
  ro.max_memory_bytes = options.max_memory_bytes;
  TANDEM_ASSIGN_OR_RETURN(ModelFile file, read_model_file(path, ro));
  Model m;
  m.file_ = std::make_shared<const ModelFile>(std::move(file));
  return m;
}

static std::vector<TensorSpec> specs(const Graph& g, const std::vector<int>& ids) {
  std::vector<TensorSpec> out;
  for (int id : ids) out.push_back({g.tensor(id).name, g.tensor(id).shape});
  return out;
}

std::vector<TensorSpec> Model::inputs() const {
  return specs(graph(), graph().inputs);
}
std::vector<TensorSpec> Model::outputs() const {
  return specs(graph(), graph().outputs);
}
const Graph& Model::graph() const {
  return file_->graph;
}
const ModelFile& Model::file() const {
  return *file_;
}
std::shared_ptr<const ModelFile> Model::shared_file() const {
  return file_;
}

struct Session::Impl {
  std::shared_ptr<const ModelFile> file;  // keeps the graph (and its mapping) alive
  std::unique_ptr<Processor> processor;
  std::unique_ptr<Executor> executor;
};

Expected<Session> Session::create(const Model& model, const std::string& processor) {
  auto impl = std::make_shared<Impl>();
  impl->file = model.shared_file();
  TANDEM_ASSIGN_OR_RETURN(impl->processor, create_processor(processor));
  TANDEM_ASSIGN_OR_RETURN(impl->executor, Executor::create(impl->file->graph, *impl->processor));
  Session s;
  s.impl_ = std::move(impl);
  return s;
}

Expected<std::vector<HostTensor>> Session::run(const std::vector<HostTensor>& inputs) {
  if (!impl_) return invalid_argument("Session::run on an empty session");
  return impl_->executor->run(inputs);
}

}  // namespace tandem
