// opencl:cores=: confining a CPU OpenCL device (PoCL's pthread driver) to
// given cores. PoCL 3.x runs every kernel on one process-wide pool of worker
// threads (one per compute unit); worker k serves the sub-devices whose range
// of compute units holds k (clCreateSubDevices, BY_COUNTS). So a processor on
// cores C gets a sub-device over workers [k0, k0 + |C|) and those workers are
// pinned (sched_setaffinity) to C. Worker k <-> core: the k-th core this
// process may run on, so the mapping is fixed and processors never fight.
#pragma once

#include <string>
#include <vector>

#include "kernels/opencl/device.h"

namespace tandem::ocl {

// Cores this process may run on (sched_getaffinity), ascending.
std::vector<int> available_cores();

// Parses "A", "A-B" or "A+B+C" into ascending cores; errors name `spec`.
Expected<std::vector<int>> parse_opencl_cores(const std::string& value, const std::string& spec);

// "0+1": the cores as a spec value.
std::string cores_spec_text(const std::vector<int>& cores);

// A copy of `info` whose device is a PoCL sub-device confined to `cores`
// (its worker threads pinned there). Unsupported error for devices that
// cannot be confined (not PoCL's CPU driver, not enough worker threads).
Expected<DeviceInfo> confine_to_cores(const DeviceInfo& info, const std::vector<int>& cores);

// Kernel thread id of PoCL worker `k` of `info`'s device, found by running a
// short spin kernel on a sub-device of that worker alone (cached per process).
Expected<int> pocl_worker_tid(const DeviceInfo& info, int k);

}  // namespace tandem::ocl
