#include "api/default_registry.h"

#include "kernels/reference/reference_processor.h"
#if TANDEM_HAVE_XNNPACK
#include "kernels/cpu/cpu_processor.h"
#endif
#if TANDEM_HAVE_OPENCL
#include "api/opencl_loader.h"
#endif

namespace tandem {

const ProcessorRegistry& default_processor_registry() {
  static const ProcessorRegistry registry = [] {
    ProcessorRegistry r;
    register_reference_processor(r);
#if TANDEM_HAVE_XNNPACK
    register_cpu_processor(r);
#endif
#if TANDEM_HAVE_OPENCL
    // Loaded on first use: libtandem runs where OpenCL is missing (api/opencl_loader.h).
    r.add("opencl", make_loaded_opencl_processor);
#endif
    return r;
  }();
  return registry;
}

Expected<std::unique_ptr<Processor>> create_processor(const std::string& spec) {
  return default_processor_registry().create(spec);
}

}  // namespace tandem
