// Placeholder until the XNNPACK processor lands (issue 4): registers nothing.
#include "engine/processor_registry.h"

namespace tandem {
void register_cpu_processor(ProcessorRegistry&) {}
}  // namespace tandem
