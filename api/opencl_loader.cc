#include "api/opencl_loader.h"

#include <dlfcn.h>
#include <stdlib.h>  // realpath
#include <sys/stat.h>

#include <cstdlib>
#include <string>

namespace tandem {
namespace {

#if TANDEM_OPENCL_MODULE
constexpr const char* kModuleName = "libtandem_opencl.so";

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// The folder of the libtandem (or static program) this code runs in.
std::string own_folder() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&opencl_backend), &info) == 0 || !info.dli_fname) return "";
  // dli_fname is the path the loader used ("prefix/bin/../lib/libtandem.so.0"): normalise it.
  char* real = ::realpath(info.dli_fname, nullptr);
  std::string self = real ? real : info.dli_fname;
  std::free(real);
  size_t slash = self.rfind('/');
  return slash == std::string::npos ? "" : self.substr(0, slash + 1);
}

Status load_failure(const std::string& what) {
  const char* e = dlerror();
  return not_found("the opencl processor is not available: cannot load " + what + ": " +
                   (e ? e : "unknown dlopen error") +
                   " (the opencl backend needs libtandem_opencl.so, libOpenCL.so.1 with an ICD, "
                   "and libclblast.so.1; cpu and reference processors do not)");
}

Expected<const OpenCLBackend*> load_module() {
  void* handle = nullptr;
  std::string tried;
  if (const char* env = std::getenv("TANDEM_OPENCL_MODULE"); env && *env) {
    tried = std::string(env) + " (TANDEM_OPENCL_MODULE)";
    handle = dlopen(env, RTLD_NOW | RTLD_LOCAL);
  } else if (std::string beside = own_folder() + kModuleName; file_exists(beside)) {
    tried = beside;
    handle = dlopen(beside.c_str(), RTLD_NOW | RTLD_LOCAL);
  } else {
    tried = std::string(kModuleName) + " (not beside libtandem in '" + own_folder() +
            "'; then the library search path)";
    handle = dlopen(kModuleName, RTLD_NOW | RTLD_LOCAL);
  }
  if (!handle) return load_failure(tried);
  // Never dlclose: processors and executables made by the module outlive any caller.
  using Entry = const OpenCLBackend* (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(handle, TANDEM_OPENCL_BACKEND_SYMBOL));
  if (!entry) return load_failure(tried + ", symbol " TANDEM_OPENCL_BACKEND_SYMBOL);
  const OpenCLBackend* backend = entry();
  if (!backend || std::string(backend->version) != TANDEM_VERSION)
    return unsupported("the opencl processor is not available: " + tried + " is version " +
                       (backend ? backend->version : "?") + ", libtandem is " TANDEM_VERSION);
  return backend;
}
#else
Expected<const OpenCLBackend*> load_module() {
  return tandem_opencl_backend_v1();
}
#endif

}  // namespace

Expected<const OpenCLBackend*> opencl_backend() {
  static const Expected<const OpenCLBackend*> backend = load_module();
  return backend;
}

Expected<std::unique_ptr<Processor>> make_loaded_opencl_processor(const ProcessorSpec& spec) {
  TANDEM_ASSIGN_OR_RETURN(const OpenCLBackend* backend, opencl_backend());
  return backend->make_processor(spec);
}

}  // namespace tandem
