// tandem devices: the OpenCL platforms and devices this machine offers, with
// the properties that decide what a device can take.
#include <iostream>
#include <memory>

#include "tools/cli_util.h"
#include "tools/commands.h"
#if TANDEM_HAVE_OPENCL
#include "api/opencl_loader.h"
#endif

namespace tandem::cli {

Command make_devices_command() {
  struct State {
    CLI::App* app = nullptr;
  };
  auto s = std::make_shared<State>();
  Command c;
  c.add = [s](CLI::App& app) {
    s->app = app.add_subcommand("devices", "List OpenCL platforms and devices (specs opencl:N)");
  };
  c.selected = [s] { return s->app && s->app->parsed(); };
  c.run = [s]() -> int {
#if TANDEM_HAVE_OPENCL
    auto backend = opencl_backend();  // libtandem_opencl.so, loaded now in shared builds
    if (!backend.ok()) return fail(backend.status());
    auto devices = (*backend)->list_devices();
    if (!devices.ok()) return fail(devices.status());
    int platform = -1;
    for (const ocl::DeviceInfo& d : *devices) {
      if (d.platform_index != platform) {
        platform = d.platform_index;
        std::cout << "platform " << platform << ": " << d.platform_name << " (" << d.platform_vendor
                  << ", " << d.platform_version << ")\n";
      }
      std::cout << "  opencl:" << d.index << "  " << d.name << "\n"
                << "    type: " << d.type << "  vendor: " << d.vendor
                << "  driver: " << d.driver_version << "\n"
                << "    version: " << d.device_version << "  " << d.opencl_c_version << "\n"
                << "    compute units: " << d.compute_units << "  clock: " << d.max_clock_mhz
                << " MHz  max work-group: " << d.max_work_group_size << "\n"
                << "    global memory: " << (d.global_mem_bytes >> 20)
                << " MiB  max buffer: " << (d.max_alloc_bytes >> 20)
                << " MiB  local memory: " << (d.local_mem_bytes >> 10) << " KiB\n"
                << "    host memory: "
                << (ocl::shares_host_memory(d)
                        ? std::string(d.host_unified_memory ? "unified" : "CPU device") +
                              " (handover=auto: map, boundary tensors handed over without copies)"
                        : "separate (handover=auto: copy)")
                << "\n"
                << "    fp16 (cl_khr_fp16): "
                << (d.fp16 ? "yes (opencl:" + std::to_string(d.index) + ",fp16)" : "no") << "\n";
    }
    return 0;
#else
    return fail(unsupported("this build has no OpenCL support (TANDEM_WITH_OPENCL=OFF)"));
#endif
  };
  return c;
}

}  // namespace tandem::cli
