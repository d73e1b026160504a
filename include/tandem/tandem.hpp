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

// A model pipelined across several processors ("cpu:cores=0,cpu:cores=1"):
// the plan stored in the model when it was made for these processors, else a
// new one from a (cached) profile. Frames stream through the stages.
struct PipelineConfig {
  std::string plan = "auto";  // auto | new | plan JSON file
  std::string profile;        // cost table file instead of measuring
  int max_in_flight = 0;      // 0: the pipeline's capacity
};

class PipelineSession {
 public:
  using Ticket = uint64_t;
  static Expected<PipelineSession> create(const Model& model, const std::string& processors,
                                          const PipelineConfig& config = {});
  // Synchronous: one frame through every stage.
  Expected<std::vector<HostTensor>> run(const std::vector<HostTensor>& inputs);
  // Streaming: submit blocks while the pipeline is full (back pressure);
  // outputs come back in submission order through wait().
  Expected<Ticket> submit(const std::vector<HostTensor>& inputs);
  Expected<std::vector<HostTensor>> wait(Ticket ticket);
  Expected<bool> poll(Ticket ticket) const;
  // Human-readable plan: stages, processors, predicted FPS.
  std::string plan_summary() const;
  double predicted_fps() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tandem
