// Single-processor execution of a whole graph: compile once, run many times.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/host_tensor.h"
#include "engine/processor.h"
#include "engine/range_arena.h"

namespace tandem {

// Checks `inputs` against the graph's inputs (by name; a single unnamed input
// matches a single graph input) and returns them in graph input order.
// Errors name the tensor and both shapes.
Expected<std::vector<const HostTensor*>> match_inputs(const Graph& g,
                                                      const std::vector<HostTensor>& inputs);

class Executor {
 public:
  // Compiles the whole graph on `processor` (both must outlive the session).
  static Expected<std::unique_ptr<Executor>> create(const Graph& g, Processor& processor);

  Expected<std::vector<HostTensor>> run(const std::vector<HostTensor>& inputs,
                                        const RunOptions& options = {});
  // Raw form: inputs in graph input order, outputs into caller buffers in
  // graph output order. No allocation.
  Status run_raw(const float* const* inputs, float* const* outputs, const RunOptions& options = {});

  const Graph& graph() const { return g_; }
  Executable& executable() { return *exe_; }

 private:
  Executor(const Graph& g, std::unique_ptr<Executable> exe) : g_(g), exe_(std::move(exe)) {}
  const Graph& g_;
  std::unique_ptr<Executable> exe_;
  std::vector<int> input_pos_;   // executable input k -> graph input index
  std::vector<int> output_pos_;  // graph output j -> executable output index
  std::vector<const float*> in_ptrs_;
  std::vector<float*> out_ptrs_;
};

}  // namespace tandem
