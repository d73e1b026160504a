#include "kernels/opencl/handover.h"

#include <algorithm>
#include <cstdint>

namespace tandem::ocl {
namespace {

thread_local ArgRecorder* active_recorder = nullptr;

}  // namespace

const char* handover_name(Handover h) {
  switch (h) {
    case Handover::kCopy:
      return "copy";
    case Handover::kMap:
      return "map";
    case Handover::kAuto:
      return "auto";
  }
  return "?";
}

ArgRecorder::ArgRecorder(std::vector<cl_mem> proxies)
    : proxies_(std::move(proxies)), uses_(proxies_.size()) {
  active_recorder = this;
}

ArgRecorder::~ArgRecorder() {
  if (active_recorder == this) active_recorder = nullptr;
}

void ArgRecorder::note(cl_kernel k, cl_uint index, cl_mem v) {
  for (size_t p = 0; p < proxies_.size(); ++p) {
    if (proxies_[p] != v) continue;
    auto& u = uses_[p];
    const bool seen = std::any_of(u.begin(), u.end(),
                                  [&](const Use& x) { return x.kernel == k && x.index == index; });
    if (!seen) u.push_back(Use{k, index});
  }
}

void note_mem_arg(cl_kernel k, cl_uint index, cl_mem v) {
  if (active_recorder && v) active_recorder->note(k, index, v);
}

Expected<cl_mem> HostBufferCache::wrap(void* host, size_t bytes, bool read_only, cl_mem* evicted) {
  *evicted = nullptr;
  for (Entry& e : entries_)
    if (e.host == host && e.bytes == bytes && e.read_only == read_only) {
      e.last_run = run_;
      return e.mem.get();
    }
  if (reinterpret_cast<uintptr_t>(host) % alignment_ != 0) return static_cast<cl_mem>(nullptr);
  cl_int err = CL_SUCCESS;
  const cl_mem_flags flags =
      CL_MEM_USE_HOST_PTR | (read_only ? CL_MEM_READ_ONLY : CL_MEM_READ_WRITE);
  MemHandle m(clCreateBuffer(context_, flags, bytes, host, &err));
  if (err != CL_SUCCESS)
    return cl_status(err,
                     "wrapping " + std::to_string(bytes) + " host bytes (CL_MEM_USE_HOST_PTR)");
  cl_mem raw = m.get();
  Entry fresh{host, bytes, read_only, std::move(m), run_};
  auto lru = std::min_element(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return a.last_run < b.last_run;
  });
  // Full: replace the least recently used, unless this run uses it (then grow).
  if (entries_.size() >= capacity_ && lru != entries_.end() && lru->last_run != run_) {
    *evicted = lru->mem.get();
    *lru = std::move(fresh);  // releases the old wrapper
  } else {
    entries_.push_back(std::move(fresh));
  }
  return raw;
}

Status bind_boundary(MappedBoundary& b, cl_mem m, const std::string& tensor_name) {
  if (b.bound == m) return Status();
  for (const ArgRecorder::Use& u : b.uses) {
    cl_int err = clSetKernelArg(u.kernel, u.index, sizeof m, &m);
    if (err != CL_SUCCESS)
      return cl_status(err, "opencl: binding the host buffer of '" + tensor_name + "'");
  }
  b.bound = m;
  return Status();
}

Status sync_mapped(cl_command_queue q, cl_mem m, size_t bytes, bool input,
                   const std::string& tensor_name) {
  cl_int err = CL_SUCCESS;
  const cl_map_flags flags = input ? CL_MAP_WRITE_INVALIDATE_REGION : CL_MAP_READ;
  void* p = clEnqueueMapBuffer(q, m, CL_FALSE, flags, 0, bytes, 0, nullptr, nullptr, &err);
  if (err != CL_SUCCESS)
    return cl_status(err, "opencl: mapping '" + tensor_name + "' for the hand-over");
  err = clEnqueueUnmapMemObject(q, m, p, 0, nullptr, nullptr);
  if (err != CL_SUCCESS)
    return cl_status(err, "opencl: unmapping '" + tensor_name + "' after the hand-over");
  return Status();
}

}  // namespace tandem::ocl
