// Placeholder until the OpenCL processor lands (issue 5): registers nothing.
#include "engine/processor_registry.h"

namespace tandem {
void register_opencl_processor(ProcessorRegistry&) {}
}  // namespace tandem
