// OpenCL platform and device discovery, and the context + queue a processor uses.
#pragma once

#include <CL/cl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "graph/status.h"
#include "kernels/opencl/cl_error.h"

namespace tandem::ocl {

struct DeviceInfo {
  int index = 0;  // across all platforms, in discovery order ("opencl:N")
  int platform_index = 0;
  std::string platform_name, platform_vendor, platform_version;
  std::string name, vendor, driver_version, device_version, opencl_c_version, type;
  uint32_t compute_units = 0;
  uint32_t max_clock_mhz = 0;
  uint64_t global_mem_bytes = 0;
  uint64_t local_mem_bytes = 0;
  uint64_t max_alloc_bytes = 0;
  size_t max_work_group_size = 0;
  uint32_t mem_base_addr_align_bits = 0;
  bool fp16 = false;                 // cl_khr_fp16
  bool host_unified_memory = false;  // CL_DEVICE_HOST_UNIFIED_MEMORY
  cl_platform_id platform = nullptr;
  cl_device_id device = nullptr;
};

// Every device of every platform the ICD loader finds. Errors name what was
// looked for: no ICD/platform at all, or platforms without devices.
Expected<std::vector<DeviceInfo>> list_opencl_devices();

// Picks device `index` from `devices` (injectable, so the no-device path is
// testable without hiding the real platforms). Errors list what exists.
Expected<DeviceInfo> select_opencl_device(const std::vector<DeviceInfo>& devices, int index);

// One context and one in-order queue on a device, shared by the processor's
// executables (they run one at a time on the processor's stage worker).
struct DeviceContext {
  DeviceInfo info;
  bool fp16 = false;  // activations and weights stored as half
  ContextHandle context;
  QueueHandle queue;
};
// `fp16` needs cl_khr_fp16 unless `storage_only` (opencl:fp16=storage), which
// any OpenCL 1.2 device can do through vload_half/vstore_half.
Expected<std::shared_ptr<DeviceContext>> open_device_context(const DeviceInfo& info, bool fp16,
                                                             bool storage_only = false);

// True when the device addresses host memory directly (unified memory or a
// CPU device): boundary tensors can be handed over by map/unmap, not copies.
inline bool shares_host_memory(const DeviceInfo& info) {
  return info.host_unified_memory || info.type == "CPU";
}

// One line: "NVIDIA GeForce ... (NVIDIA CUDA, OpenCL 3.0, 20 CU, 8.0 GiB)".
std::string device_summary(const DeviceInfo& info);

}  // namespace tandem::ocl
