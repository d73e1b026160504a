// The `opencl` processor: specs "opencl", "opencl:N" (device index across
// platforms), "opencl:fp16" (half storage, needs cl_khr_fp16), "opencl:fp16=storage"
// (half storage on any device through vload_half/vstore_half; both compute in float),
// "opencl:gemm=clblast" or "opencl:gemm=tiled" (CLBlast, or the local-memory
// tiled kernel, instead of the own register-blocked GEMM),
// "opencl:handover=copy|map|auto" (range boundaries copied, or mapped in place
// on devices sharing host memory; auto: map there); options combine:
// "opencl:1,fp16".
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/processor.h"
#include "engine/processor_registry.h"

namespace tandem {

// Transfer and compile counters of one compiled range, for the cost model and
// `tandem bench`. Byte counters accumulate over runs.
struct OpenCLRangeStats {
  uint64_t upload_bytes = 0;    // host -> device: range inputs and fallback outputs
  uint64_t download_bytes = 0;  // device -> host: range outputs and fallback inputs
  uint64_t uploads = 0, downloads = 0;
  uint64_t runs = 0;
  uint64_t weight_bytes = 0;   // uploaded once at compile time
  uint64_t arena_bytes = 0;    // the range's activation buffer
  int programs_built = 0;      // compiled from source during this compile
  int programs_from_disk = 0;  // loaded from the program cache
  double compile_ms = 0;       // whole compile(), program builds included
  int native_nodes = 0, fallback_nodes = 0, alias_nodes = 0;
  int in_place_concat_inputs = 0;
  // handover=map: boundary tensors with their own buffer, and hand-overs that
  // were a map/unmap of the caller's memory instead of a copy (cumulative).
  int mapped_boundaries = 0;
  uint64_t mapped_inputs = 0, mapped_outputs = 0;
  // Runs with RunOptions::node_ms (profiling) also time the hand-over alone:
  // range inputs in and outputs out, each followed by a clFinish. Wall and
  // process CPU ms summed over `profiled_runs`.
  double handover_ms = 0, handover_cpu_ms = 0;
  uint64_t profiled_runs = 0;
};

// Stats of an executable made by the opencl processor; nullptr for others.
const OpenCLRangeStats* opencl_range_stats(const Executable& e);

// Creates an opencl processor from a parsed spec (what the registry calls).
Expected<std::unique_ptr<Processor>> make_opencl_processor(const ProcessorSpec& spec);
// Adds kind "opencl" (make_opencl_processor) to `r`.
void register_opencl_processor(ProcessorRegistry& r);

}  // namespace tandem
