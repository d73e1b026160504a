// The profile cache: one JSON file per (machine, processor spec) holding
// measured node times keyed by node signature, co-run factors keyed by the
// model and the other processors, and transfer fits keyed by the receiving processor.
#pragma once

#include <map>
#include <string>

#include "scheduler/cost_model.h"

namespace tandem {

struct ProcessorCache {
  // 2: boundary costs measured on page-aligned buffers, with the hand-over
  // the processor really does (opencl's map under handover=auto); a version 1
  // file charged copies, so it is measured again.
  static constexpr int kSchemaVersion = 2;
  MachineFingerprint machine;
  std::string spec;
  double gflops = 0, gbps = 0;
  std::map<std::string, double> node_ms;             // NodeSignature::key() -> ms
  std::map<std::string, double> corun;               // other specs joined by '+' -> factor
  std::map<std::string, TransferModel> transfer_to;  // receiving spec -> model
};

// <dir>/profiles/<machine hash>/<spec, sanitised>-<spec hash>.json
std::string processor_cache_path(const std::string& dir, const MachineFingerprint& machine,
                                 const std::string& spec);
// A missing file gives an empty cache; a corrupt one or one for another
// machine/spec/schema is an error (the caller warns and measures again).
Expected<ProcessorCache> load_processor_cache(const std::string& path,
                                              const MachineFingerprint& machine,
                                              const std::string& spec);
Status save_processor_cache(const std::string& path, const ProcessorCache& cache);

}  // namespace tandem
