// Zero-copy hand-over of range boundary tensors on devices that share memory
// with the host (opencl:handover=map, the default there through "auto").
//
// A boundary tensor handed over by map gets its own device buffer (a "proxy")
// instead of a place in the arena. While the range's ops are created, every
// kernel argument that names a proxy is recorded. At run time the caller's
// pointer is wrapped in a CL_MEM_USE_HOST_PTR buffer (cached per pointer), the
// recorded arguments are pointed at it, and the hand-over is a map/unmap pair:
// no copy on a device that addresses host memory. A pointer the driver cannot
// use in place (misaligned) falls back to a copy through the proxy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/opencl/cl_error.h"

namespace tandem::ocl {

enum class Handover { kCopy, kMap, kAuto };
const char* handover_name(Handover h);

// Kernel arguments naming proxy buffers, noted by set_arg() while a recorder
// is active on the calling thread (compile time only).
class ArgRecorder {
 public:
  struct Use {
    cl_kernel kernel;
    cl_uint index;
  };
  explicit ArgRecorder(std::vector<cl_mem> proxies);
  ~ArgRecorder();  // deactivates
  ArgRecorder(const ArgRecorder&) = delete;
  ArgRecorder& operator=(const ArgRecorder&) = delete;
  void note(cl_kernel k, cl_uint index, cl_mem v);
  // Per proxy, the kernel arguments that name it.
  std::vector<std::vector<Use>> take_uses() { return std::move(uses_); }

 private:
  std::vector<cl_mem> proxies_;
  std::vector<std::vector<Use>> uses_;
};
void note_mem_arg(cl_kernel k, cl_uint index, cl_mem v);

// USE_HOST_PTR wrappers of host pointers, a few per boundary tensor: the
// pipeline's slots are fixed, so after warm-up every run hits the cache.
class HostBufferCache {
 public:
  HostBufferCache(cl_context context, size_t alignment, size_t capacity)
      : context_(context), alignment_(alignment), capacity_(capacity) {}
  // Starts a run: wrappers handed out from now on are not evicted before the
  // next begin_run() (the run's kernels name them).
  void begin_run() { ++run_; }
  // The wrapper of [host, host + bytes); nullptr (no error) when `host` is
  // not aligned for in-place use. When full, the least recently used wrapper
  // not used in this run is released to make room and returned in `evicted`.
  Expected<cl_mem> wrap(void* host, size_t bytes, bool read_only, cl_mem* evicted);
  size_t alignment() const { return alignment_; }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    void* host;
    size_t bytes;
    bool read_only;
    MemHandle mem;
    uint64_t last_run;
  };
  cl_context context_;
  size_t alignment_, capacity_;
  std::vector<Entry> entries_;
  uint64_t run_ = 1;
};

// One boundary tensor handed over by map: its proxy, the arguments naming it
// and the buffer they name now.
struct MappedBoundary {
  int tensor = -1;
  MemHandle proxy;
  std::vector<ArgRecorder::Use> uses;
  cl_mem bound = nullptr;
};
// Points every recorded argument of `b` at `m` (no-op when already there).
Status bind_boundary(MappedBoundary& b, cl_mem m, const std::string& tensor_name);
// Enqueues map + unmap of `m` (write-invalidate for inputs, read for outputs),
// the synchronisation that makes host writes visible to the device or device
// writes to the host.
Status sync_mapped(cl_command_queue q, cl_mem m, size_t bytes, bool input,
                   const std::string& tensor_name);

}  // namespace tandem::ocl
