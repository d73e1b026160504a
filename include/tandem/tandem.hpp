// Tandem's C++ API: load a model, run it on one processor or pipelined across
// several. Errors are values (tandem::Status / tandem::Expected); no exception
// crosses this API.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/host_tensor.h"
#include "graph/status.h"

namespace tandem {

class Graph;
struct ModelFile;

// Inputs and outputs are HostTensor: named float32 tensors, graph layout, C order.

// Library and file-format versions.
const char* version();
uint32_t schema_version();  // .tdm schema this library writes
uint32_t min_readable_schema_version();

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
};

struct LoadOptions {
  uint64_t max_memory_bytes = 0;  // refuse models needing more (0: no limit)
};

// An immutable loaded model; cheap to copy (shared).
class Model {
 public:
  static Expected<Model> load(const std::string& path, const LoadOptions& options = {});
  std::vector<TensorSpec> inputs() const;
  std::vector<TensorSpec> outputs() const;
  const Graph& graph() const;
  const ModelFile& file() const;
  std::shared_ptr<const ModelFile> shared_file() const;

 private:
  std::shared_ptr<const ModelFile> file_;
};

// A model compiled on one processor ("reference", "cpu", "cpu:threads=2", "opencl").
class Session {
 public:
  static Expected<Session> create(const Model& model, const std::string& processor);
  Expected<std::vector<HostTensor>> run(const std::vector<HostTensor>& inputs);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tandem
