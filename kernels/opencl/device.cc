#include "kernels/opencl/device.h"

#include <cstdlib>
#include <sstream>

namespace tandem::ocl {
namespace {

std::string platform_string(cl_platform_id p, cl_platform_info what) {
  size_t n = 0;
  if (clGetPlatformInfo(p, what, 0, nullptr, &n) != CL_SUCCESS || n == 0) return "";
  std::string s(n, '\0');
  if (clGetPlatformInfo(p, what, n, s.data(), nullptr) != CL_SUCCESS) return "";
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string device_string(cl_device_id d, cl_device_info what) {
  size_t n = 0;
  if (clGetDeviceInfo(d, what, 0, nullptr, &n) != CL_SUCCESS || n == 0) return "";
  std::string s(n, '\0');
  if (clGetDeviceInfo(d, what, n, s.data(), nullptr) != CL_SUCCESS) return "";
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

template <typename T>
T device_value(cl_device_id d, cl_device_info what) {
  T v{};
  if (clGetDeviceInfo(d, what, sizeof(T), &v, nullptr) != CL_SUCCESS) return T{};
  return v;
}

std::string type_name(cl_device_type t) {
  if (t & CL_DEVICE_TYPE_GPU) return "GPU";
  if (t & CL_DEVICE_TYPE_CPU) return "CPU";
  if (t & CL_DEVICE_TYPE_ACCELERATOR) return "accelerator";
  return "other";
}

std::string icd_search_note() {
  const char* vendors = std::getenv("OCL_ICD_VENDORS");
  return std::string("the OpenCL ICD loader looked for platforms in ") +
         (vendors ? std::string("OCL_ICD_VENDORS=") + vendors : "/etc/OpenCL/vendors/*.icd") +
         "; install a driver (e.g. Debian's pocl-opencl-icd) or use a cpu/reference processor";
}

}  // namespace

Expected<std::vector<DeviceInfo>> list_opencl_devices() {
  cl_uint num_platforms = 0;
  cl_int err = clGetPlatformIDs(0, nullptr, &num_platforms);
  if (err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (err == CL_SUCCESS && num_platforms == 0))
    return not_found("no OpenCL platform found: " + icd_search_note());
  if (err != CL_SUCCESS) return cl_status(err, "clGetPlatformIDs").with_context("opencl");
  std::vector<cl_platform_id> platforms(num_platforms);
  TANDEM_CL_RETURN_IF_ERROR(clGetPlatformIDs(num_platforms, platforms.data(), nullptr),
                            "clGetPlatformIDs");
  std::vector<DeviceInfo> devices;
  std::string platform_names;
  for (cl_uint pi = 0; pi < num_platforms; ++pi) {
    cl_platform_id p = platforms[pi];
    std::string pname = platform_string(p, CL_PLATFORM_NAME);
    platform_names += (platform_names.empty() ? "'" : ", '") + pname + "'";
    cl_uint num_devices = 0;
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &num_devices) != CL_SUCCESS ||
        num_devices == 0)
      continue;
    std::vector<cl_device_id> ids(num_devices);
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, num_devices, ids.data(), nullptr) != CL_SUCCESS)
      continue;
    for (cl_device_id d : ids) {
      DeviceInfo info;
      info.index = static_cast<int>(devices.size());
      info.platform_index = static_cast<int>(pi);
      info.platform = p;
      info.device = d;
      info.platform_name = pname;
      info.platform_vendor = platform_string(p, CL_PLATFORM_VENDOR);
      info.platform_version = platform_string(p, CL_PLATFORM_VERSION);
      info.name = device_string(d, CL_DEVICE_NAME);
      info.vendor = device_string(d, CL_DEVICE_VENDOR);
      info.driver_version = device_string(d, CL_DRIVER_VERSION);
      info.device_version = device_string(d, CL_DEVICE_VERSION);
      info.opencl_c_version = device_string(d, CL_DEVICE_OPENCL_C_VERSION);
      info.type = type_name(device_value<cl_device_type>(d, CL_DEVICE_TYPE));
      info.compute_units = device_value<cl_uint>(d, CL_DEVICE_MAX_COMPUTE_UNITS);
      info.max_clock_mhz = device_value<cl_uint>(d, CL_DEVICE_MAX_CLOCK_FREQUENCY);
      info.global_mem_bytes = device_value<cl_ulong>(d, CL_DEVICE_GLOBAL_MEM_SIZE);
      info.local_mem_bytes = device_value<cl_ulong>(d, CL_DEVICE_LOCAL_MEM_SIZE);
      info.max_alloc_bytes = device_value<cl_ulong>(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
      info.max_work_group_size = device_value<size_t>(d, CL_DEVICE_MAX_WORK_GROUP_SIZE);
      info.mem_base_addr_align_bits = device_value<cl_uint>(d, CL_DEVICE_MEM_BASE_ADDR_ALIGN);
      info.host_unified_memory = device_value<cl_bool>(d, CL_DEVICE_HOST_UNIFIED_MEMORY) != 0;
      std::string ext = " " + device_string(d, CL_DEVICE_EXTENSIONS) + " ";
      info.fp16 = ext.find(" cl_khr_fp16 ") != std::string::npos;
      devices.push_back(std::move(info));
    }
  }
  if (devices.empty())
    return not_found("no OpenCL device found on " + std::to_string(num_platforms) +
                     " platform(s) (" + platform_names + "); " + icd_search_note());
  return devices;
}

Expected<DeviceInfo> select_opencl_device(const std::vector<DeviceInfo>& devices, int index) {
  if (devices.empty()) return not_found("no OpenCL device found: " + icd_search_note());
  if (index < 0 || static_cast<size_t>(index) >= devices.size()) {
    std::string names;
    for (const DeviceInfo& d : devices)
      names += (names.empty() ? "" : ", ") + std::to_string(d.index) + ": " + d.name;
    return not_found("OpenCL device " + std::to_string(index) + " does not exist; there are " +
                     std::to_string(devices.size()) + " (" + names + ")");
  }
  return devices[static_cast<size_t>(index)];
}

Expected<std::shared_ptr<DeviceContext>> open_device_context(const DeviceInfo& info, bool fp16,
                                                             bool storage_only) {
  if (fp16 && !storage_only && !info.fp16)
    return unsupported("opencl:fp16 asks for half precision but device '" + info.name +
                       "' does not offer cl_khr_fp16; use plain 'opencl' (or 'opencl:fp16=storage'"
                       " for half storage with float arithmetic)");
  auto ctx = std::make_shared<DeviceContext>();
  ctx->info = info;
  ctx->fp16 = fp16;
  cl_int err = CL_SUCCESS;
  cl_context_properties props[] = {CL_CONTEXT_PLATFORM,
                                   reinterpret_cast<cl_context_properties>(info.platform), 0};
  ctx->context = ContextHandle(clCreateContext(props, 1, &info.device, nullptr, nullptr, &err));
  if (err != CL_SUCCESS) return cl_status(err, "clCreateContext on '" + info.name + "'");
#if CL_TARGET_OPENCL_VERSION >= 200
  ctx->queue = QueueHandle(
      clCreateCommandQueueWithProperties(ctx->context.get(), info.device, nullptr, &err));
#else
  ctx->queue = QueueHandle(clCreateCommandQueue(ctx->context.get(), info.device, 0, &err));
#endif
  if (err != CL_SUCCESS) return cl_status(err, "clCreateCommandQueue on '" + info.name + "'");
  return ctx;
}

std::string device_summary(const DeviceInfo& info) {
  std::ostringstream s;
  s << info.name << " (" << info.platform_name << ", " << info.device_version << ", "
    << info.compute_units << " CU, " << (info.global_mem_bytes >> 20) << " MiB"
    << (info.fp16 ? ", cl_khr_fp16" : "") << ")";
  return s.str();
}

}  // namespace tandem::ocl
