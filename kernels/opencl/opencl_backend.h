// The opencl backend's one entry point. In shared builds the backend is its own
// module, libtandem_opencl.so (it alone links OpenCL and CLBlast); libtandem
// dlopens it the first time an opencl processor or the device list is asked
// for (api/opencl_loader.cc) and looks up kOpenCLBackendSymbol. In static
// builds the same function is linked into libtandem and called directly.
#pragma once

#include <memory>
#include <vector>

#include "engine/processor.h"
#include "engine/processor_registry.h"
#include "kernels/opencl/device.h"

namespace tandem {

struct OpenCLBackend {
  // TANDEM_VERSION of the build that made the module; the loader refuses
  // another (the table holds C++ types, so both sides must be one build).
  const char* version;
  Expected<std::unique_ptr<Processor>> (*make_processor)(const ProcessorSpec& spec);
  Expected<std::vector<ocl::DeviceInfo>> (*list_devices)();
};

}  // namespace tandem

// The exported symbol (C linkage, so dlsym finds it by this name).
#define TANDEM_OPENCL_BACKEND_SYMBOL "tandem_opencl_backend_v1"
extern "C" const tandem::OpenCLBackend* tandem_opencl_backend_v1();
