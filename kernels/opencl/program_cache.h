// Builds OpenCL programs once: in memory per device, and on disk as device
// binaries keyed by device name, driver version, build options and source
// hash, so a second start of the same model compiles nothing.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "kernels/opencl/device.h"

namespace tandem::ocl {

struct ProgramCacheStats {
  int built_from_source = 0;  // compiled by the driver's compiler
  int loaded_from_disk = 0;   // created from a cached binary
  int memory_hits = 0;        // already built in this process
  double build_ms = 0;        // time spent in clBuildProgram (both kinds)
};

// $TANDEM_CACHE_DIR, else $XDG_CACHE_HOME/tandem, else ~/.cache/tandem; "" when none.
std::string default_opencl_cache_dir();

class ProgramCache {
 public:
  // An empty `dir` keeps the cache in memory only.
  ProgramCache(std::shared_ptr<DeviceContext> device, std::string dir);
  ~ProgramCache();

  // The built program for kernels/opencl/cl/<name>.cl with `options` (-D flags).
  Expected<cl_program> get(const std::string& name, const std::string& options = "");
  // Builds arbitrary `source`; `name` only labels errors. A build failure
  // returns a Status holding the driver's build log.
  Expected<cl_program> build(const std::string& name, const std::string& source,
                             const std::string& options);

  ProgramCacheStats stats() const;
  const std::string& dir() const { return dir_; }

 private:
  std::shared_ptr<DeviceContext> device_;
  std::string dir_;
  mutable std::mutex mutex_;
  std::map<std::string, ProgramHandle> programs_;  // key: hex hash
  ProgramCacheStats stats_;
};

}  // namespace tandem::ocl
