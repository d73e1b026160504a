#include "kernels/opencl/opencl_backend.h"

#include "kernels/opencl/opencl_processor.h"

extern "C" __attribute__((visibility("default"))) const tandem::OpenCLBackend*
tandem_opencl_backend_v1() {
  static const tandem::OpenCLBackend backend{TANDEM_VERSION, tandem::make_opencl_processor,
                                             tandem::ocl::list_opencl_devices};
  return &backend;
}
