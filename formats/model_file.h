// Reading and writing .tdm model files (schema: formats/tandem.fbs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace tandem {

// Schema versions: a file states the version it was written with and the
// minimum reader version that understands it.
// 2: OpType Erf; 3: OpType Resize, ResizeParams; 4: Pow, Sqrt, LayerNormalization, Gelu,
// Gather, ReduceSum, int8 ops, DType Int8/Int32, Tensor.quant, Metadata.input_shapes
constexpr uint32_t kTdmSchemaVersion = 4;
constexpr uint32_t kTdmMinReaderVersion = 1;

// A pipeline plan stored in the model file by `tandem plan --save`.
struct StoredPlan {
  struct Stage {
    std::string processor;  // spec, e.g. "cpu:cores=0"
    int first_node = 0;     // node range [first_node, last_node)
    int last_node = 0;
    int replicas = 1;  // >1: whole-range copies run side by side (parallel streams)
  };
  std::vector<std::string> processors;  // the processor list the plan was made for
  std::vector<Stage> stages;
  std::string objective;  // "throughput", "latency", ...
  double predicted_fps = 0;
};

struct ModelFile {
  Graph graph;  // constants point into the file mapping
  std::optional<StoredPlan> plan;
  uint32_t schema_version = 0;
};

struct ReadOptions {
  // Refuse models whose activations + weights would need more bytes than this (0 = no limit).
  uint64_t max_memory_bytes = 0;
};

// mmaps `path`, runs the FlatBuffers Verifier and semantic checks (indices in
// range, weight ranges inside the file and aligned, graph acyclic, shapes
// consistent with op parameters). Errors name the file and node/tensor.
Expected<ModelFile> read_model_file(const std::string& path, const ReadOptions& options = {});
// Same checks on bytes in memory (for fuzzing); constants are copied.
Expected<ModelFile> read_model_bytes(const uint8_t* data, size_t size, const std::string& name);

// Writes `g` (and an optional plan) atomically: a temporary file then rename,
// so a failed write never leaves a partial .tdm behind.
Status write_model_file(const std::string& path, const Graph& g, const StoredPlan* plan = nullptr);

}  // namespace tandem
