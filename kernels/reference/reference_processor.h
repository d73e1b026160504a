// The `reference` processor: every op on the portable reference kernels, on
// the calling thread. Slow but exact; the oracle the other processors are
// tested against.
#pragma once

#include "engine/processor_registry.h"

namespace tandem {

// Adds kind "reference" (no options) to `r`.
void register_reference_processor(ProcessorRegistry& r);

}  // namespace tandem
