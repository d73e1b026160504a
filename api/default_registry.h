// The composition root: the processor registry with every backend this build
// has. It lives in api/, above the backends, so that nothing below kernels/
// names a backend; the scheduler and the executor take a registry or a
// processor instead.
#pragma once

#include <memory>
#include <string>

#include "engine/processor_registry.h"

namespace tandem {

// Reference always; cpu when built with XNNPACK; opencl when built with OpenCL.
const ProcessorRegistry& default_processor_registry();
// default_processor_registry().create(spec).
Expected<std::unique_ptr<Processor>> create_processor(const std::string& spec);

}  // namespace tandem
