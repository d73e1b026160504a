// The opencl backend, found the first time it is asked for. Shared builds load
// libtandem_opencl.so (and through it libOpenCL.so.1 and libclblast.so.1) with
// dlopen, so libtandem itself runs on machines without OpenCL; static builds
// link the backend in. Order of the search (shared builds):
//   1. $TANDEM_OPENCL_MODULE, when set (a path; nothing else is tried);
//   2. libtandem_opencl.so beside the libtandem that is running (dladdr);
//   3. libtandem_opencl.so on the dynamic loader's search path.
// A failure is remembered and returned on every later call, naming the library
// that could not be loaded (dlerror's text, e.g. "libOpenCL.so.1: cannot open
// shared object file").
#pragma once

#include "graph/status.h"
#include "kernels/opencl/opencl_backend.h"

namespace tandem {

Expected<const OpenCLBackend*> opencl_backend();

// The factory default_processor_registry() registers as "opencl".
Expected<std::unique_ptr<Processor>> make_loaded_opencl_processor(const ProcessorSpec& spec);

}  // namespace tandem
