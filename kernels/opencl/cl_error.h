// OpenCL error codes as Status values, and small RAII handles for cl objects.
#pragma once

#include <CL/cl.h>

#include <string>
#include <utility>

#include "graph/status.h"

namespace tandem::ocl {

// "CL_OUT_OF_RESOURCES" for -5, "CL error -9999" for codes it does not know.
std::string cl_error_name(cl_int err);
// Ok for CL_SUCCESS; device memory exhaustion maps to ResourceExhausted so a
// model that does not fit is an error for that model, everything else Internal.
Status cl_status(cl_int err, const std::string& what);

#define TANDEM_CL_RETURN_IF_ERROR(call, what)                                  \
  do {                                                                         \
    cl_int _cl_err = (call);                                                   \
    if (_cl_err != CL_SUCCESS) return ::tandem::ocl::cl_status(_cl_err, what); \
  } while (0)

// Owns one reference to a cl object; Release is the matching clRelease*.
template <typename T, cl_int (*Release)(T)>
class ClHandle {
 public:
  ClHandle() = default;
  explicit ClHandle(T h) : h_(h) {}
  ClHandle(const ClHandle&) = delete;
  ClHandle& operator=(const ClHandle&) = delete;
  ClHandle(ClHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  ClHandle& operator=(ClHandle&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  ~ClHandle() { reset(); }
  void reset() {
    if (h_) Release(h_);
    h_ = nullptr;
  }
  T get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }

 private:
  T h_ = nullptr;
};

using ContextHandle = ClHandle<cl_context, clReleaseContext>;
using QueueHandle = ClHandle<cl_command_queue, clReleaseCommandQueue>;
using ProgramHandle = ClHandle<cl_program, clReleaseProgram>;
using KernelHandle = ClHandle<cl_kernel, clReleaseKernel>;
using MemHandle = ClHandle<cl_mem, clReleaseMemObject>;

}  // namespace tandem::ocl
