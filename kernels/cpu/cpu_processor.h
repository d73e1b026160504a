// The `cpu` processor: XNNPACK kernels on an own thread pool, optionally
// pinned to a core group, so several instances can run side by side.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/processor_registry.h"

namespace tandem {

// Parsed `cpu[:threads=N][,cores=A|A-B][,winograd=off|auto|on][,gemm=xnnpack|auto|own]
// [,residual=fused|separate][,neon=auto|on|off][,isa=...][,amx=auto|off]` spec.
struct CpuSpec {
  int threads = 0;                // worker threads per run (caller included)
  std::vector<int> cores;         // pinned cores; empty: not pinned
  std::string winograd = "auto";  // 3x3 stride-1 convs: off, auto (where faster), on
  std::string gemm = "auto";      // dense convs: xnnpack, auto (own GEMM where faster), own
  bool fuse_residual = true;      // residual=fused|separate: Adds in the GEMM conv's epilogue
  bool fuse_blocks = true;        // blocks=fused|separate: inverted residual blocks as one kernel
  bool fuse_silu = true;          // silu=fused|separate: Conv -> SiLU in the conv's epilogue
  std::string neon = "auto";      // own NEON kernels: auto (aarch64 hooks), on, off
  std::string isa = "auto";       // own x86 kernels: auto (the CPU's best), avx512, avx2, generic
  bool amx = true;                // amx=auto|off: int8 GEMMs on AMX tiles where the CPU has them
};

// Parses and checks a cpu spec against the cores this process may use:
// unknown keys, bad numbers, duplicate keys and absent cores are errors.
Expected<CpuSpec> parse_cpu_spec(const ProcessorSpec& spec);
// Canonical text: "cpu:threads=2", "cpu:cores=0-1", "cpu:cores=1,threads=2".
std::string cpu_spec_text(const CpuSpec& spec);
// Cores the calling process may run on (sched_getaffinity).
std::vector<int> cpu_available_cores();

// Creates a cpu processor from `spec` (also what the registry's factory does).
Expected<std::unique_ptr<Processor>> make_cpu_processor(const ProcessorSpec& spec);
// Adds kind "cpu" (make_cpu_processor) to `r`.
void register_cpu_processor(ProcessorRegistry& r);

}  // namespace tandem
