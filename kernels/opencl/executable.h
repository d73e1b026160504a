// A node range compiled for an OpenCL device: one activation arena, weights
// uploaded once, kernels with their arguments set; run() uploads the range
// inputs, enqueues every node and downloads the outputs.
#pragma once

#include <memory>
#include <string>

#include "engine/processor.h"
#include "kernels/opencl/handover.h"
#include "kernels/opencl/opencl_processor.h"
#include "kernels/opencl/program_cache.h"

namespace tandem::ocl {

struct CompileOptions {
  std::string gemm_backend = "own";  // or "tiled", "clblast"
  Handover handover =
      Handover::kCopy;  // resolved: kCopy or kMap (auto is resolved by the processor)
};

Expected<std::unique_ptr<Executable>> compile_opencl_range(std::shared_ptr<DeviceContext> device,
                                                           std::shared_ptr<ProgramCache> programs,
                                                           const CompileOptions& options,
                                                           const Graph& g, int first, int last);

}  // namespace tandem::ocl
