#include "kernels/opencl/pocl_cores.h"

#include <dirent.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>

namespace tandem::ocl {
namespace {

Expected<int> parse_core(const std::string& s, const std::string& spec) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
    return invalid_argument("processor spec '" + spec + "': bad core '" + s +
                            "' in cores= (give A, A-B or A+B+C)");
  return std::atoi(s.c_str());
}

// Every thread of this process, by kernel thread id.
std::vector<int> process_tids() {
  std::vector<int> tids;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') tids.push_back(std::atoi(e->d_name));
    closedir(d);
  }
  return tids;
}

// CPU time of thread `tid` of this process in ns (Linux's per-thread CPU
// clock id, as glibc's pthread_getcpuclockid builds it); -1 if it is gone.
int64_t thread_cpu_ns(int tid) {
  const clockid_t clock = static_cast<clockid_t>((~static_cast<unsigned>(tid) << 3) | 6u);
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return -1;
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string cores_text(const std::vector<int>& cores) {
  return cores_spec_text(cores);
}

bool is_pocl_cpu(const DeviceInfo& info) {
  return info.type == "CPU" && info.platform_name.find("Portable Computing Language") == 0;
}

constexpr const char* kSpinSource =
    "__kernel void spin(__global float* x, int n) {\n"
    "  float v = x[0];\n"
    "  for (int i = 0; i < n; ++i) v = v * 0.999999f + 1.0f;\n"
    "  x[0] = v;\n"
    "}\n";

// One-worker sub-devices of a PoCL device with a spin kernel on each: running
// it on sub-device k shows which thread is worker k.
struct WorkerProbe {
  std::vector<cl_device_id> subs;
  ContextHandle context;
  ProgramHandle program;
  KernelHandle kernel;
  MemHandle buffer;
};

Status make_probe(const DeviceInfo& info, WorkerProbe& p) {
  const cl_device_partition_property props[] = {CL_DEVICE_PARTITION_EQUALLY, 1, 0};
  cl_uint n = 0;
  TANDEM_CL_RETURN_IF_ERROR(clCreateSubDevices(info.device, props, 0, nullptr, &n),
                            "clCreateSubDevices(EQUALLY, 1) on '" + info.name + "'");
  p.subs.resize(n);
  TANDEM_CL_RETURN_IF_ERROR(clCreateSubDevices(info.device, props, n, p.subs.data(), nullptr),
                            "clCreateSubDevices");
  cl_int err = CL_SUCCESS;
  p.context = ContextHandle(clCreateContext(nullptr, n, p.subs.data(), nullptr, nullptr, &err));
  if (err != CL_SUCCESS) return cl_status(err, "clCreateContext over PoCL workers");
  const char* src = kSpinSource;
  p.program = ProgramHandle(clCreateProgramWithSource(p.context.get(), 1, &src, nullptr, &err));
  if (err != CL_SUCCESS) return cl_status(err, "clCreateProgramWithSource(spin)");
  TANDEM_CL_RETURN_IF_ERROR(clBuildProgram(p.program.get(), 0, nullptr, "", nullptr, nullptr),
                            "clBuildProgram(spin)");
  p.kernel = KernelHandle(clCreateKernel(p.program.get(), "spin", &err));
  if (err != CL_SUCCESS) return cl_status(err, "clCreateKernel(spin)");
  p.buffer = MemHandle(clCreateBuffer(p.context.get(), CL_MEM_READ_WRITE, 64, nullptr, &err));
  if (err != CL_SUCCESS) return cl_status(err, "clCreateBuffer(spin)");
  return Status();
}

// Runs the spin kernel on worker k alone and returns the thread that burnt it.
Expected<int> probe_worker(WorkerProbe& p, int k) {
  cl_int err = CL_SUCCESS;
  QueueHandle q(clCreateCommandQueue(p.context.get(), p.subs[static_cast<size_t>(k)], 0, &err));
  if (err != CL_SUCCESS) return cl_status(err, "clCreateCommandQueue(PoCL worker)");
  const float zero = 0.0f;
  const int iterations = 4000000;  // a few ms of dependent FMAs
  cl_mem buf = p.buffer.get();
  TANDEM_CL_RETURN_IF_ERROR(
      clEnqueueWriteBuffer(q.get(), buf, CL_TRUE, 0, 4, &zero, 0, nullptr, nullptr),
      "clEnqueueWriteBuffer(spin)");
  clSetKernelArg(p.kernel.get(), 0, sizeof buf, &buf);
  // First enqueue: PoCL specialises the kernel (slow, maybe on another thread).
  const int warm = 1;
  clSetKernelArg(p.kernel.get(), 1, sizeof warm, &warm);
  const size_t one = 1;
  TANDEM_CL_RETURN_IF_ERROR(
      clEnqueueNDRangeKernel(q.get(), p.kernel.get(), 1, nullptr, &one, &one, 0, nullptr, nullptr),
      "clEnqueueNDRangeKernel(spin)");
  TANDEM_CL_RETURN_IF_ERROR(clFinish(q.get()), "clFinish(spin)");
  clSetKernelArg(p.kernel.get(), 1, sizeof iterations, &iterations);
  std::map<int, int64_t> before;
  for (int tid : process_tids()) before[tid] = thread_cpu_ns(tid);
  auto t0 = std::chrono::steady_clock::now();
  TANDEM_CL_RETURN_IF_ERROR(
      clEnqueueNDRangeKernel(q.get(), p.kernel.get(), 1, nullptr, &one, &one, 0, nullptr, nullptr),
      "clEnqueueNDRangeKernel(spin)");
  TANDEM_CL_RETURN_IF_ERROR(clFinish(q.get()), "clFinish(spin)");
  const double wall_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  int best = -1;
  int64_t best_ns = 0, second_ns = 0;
  for (const auto& [tid, ns] : before) {
    const int64_t d = thread_cpu_ns(tid) - ns;
    if (ns < 0 || tid == static_cast<int>(syscall(SYS_gettid))) continue;
    if (d > best_ns) {
      second_ns = best_ns;
      best_ns = d;
      best = tid;
    } else if (d > second_ns) {
      second_ns = d;
    }
  }
  // The worker burnt the spin; on a loaded machine it may get a fraction of
  // the wall time, so ask for a clear winner rather than a share of the wall.
  if (best < 0 || best_ns < 1000000 || best_ns < 4 * second_ns)
    return internal_error("could not find PoCL worker thread " + std::to_string(k) +
                          " (no thread clearly burnt the probe kernel: best " +
                          std::to_string(best_ns / 1000) + " us, next " +
                          std::to_string(second_ns / 1000) + " us, of " +
                          std::to_string(static_cast<int64_t>(wall_ns / 1000)) + " us wall)");
  return best;
}

}  // namespace

std::string cores_spec_text(const std::vector<int>& cores) {
  std::string s;
  for (int c : cores) s += (s.empty() ? "" : "+") + std::to_string(c);
  return s;
}

std::vector<int> available_cores() {
  std::vector<int> cores;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cores.push_back(c);
  return cores;
}

Expected<std::vector<int>> parse_opencl_cores(const std::string& value, const std::string& spec) {
  std::vector<int> cores;
  size_t pos = 0;
  while (true) {
    const size_t plus = value.find('+', pos);
    const std::string item = value.substr(pos, plus == std::string::npos ? plus : plus - pos);
    const size_t dash = item.find('-');
    TANDEM_ASSIGN_OR_RETURN(int lo, parse_core(item.substr(0, dash), spec));
    int hi = lo;
    if (dash != std::string::npos) {
      TANDEM_ASSIGN_OR_RETURN(hi, parse_core(item.substr(dash + 1), spec));
    }
    if (hi < lo) return invalid_argument("processor spec '" + spec + "': empty range " + item);
    for (int c = lo; c <= hi; ++c) cores.push_back(c);
    if (plus == std::string::npos) break;
    pos = plus + 1;
  }
  std::sort(cores.begin(), cores.end());
  if (std::adjacent_find(cores.begin(), cores.end()) != cores.end())
    return invalid_argument("processor spec '" + spec + "': a core is listed twice in cores=");
  const std::vector<int> avail = available_cores();
  for (int c : cores)
    if (!std::binary_search(avail.begin(), avail.end(), c))
      return invalid_argument("processor spec '" + spec + "': core " + std::to_string(c) +
                              " does not exist or is not available to this process (available: " +
                              cores_text(avail) + ")");
  return cores;
}

Expected<int> pocl_worker_tid(const DeviceInfo& info, int k) {
  static std::mutex mutex;
  // Process-lifetime on purpose (the heap keeps them reachable, so no
  // exit-time teardown order against the driver and no leak reports).
  static auto& probes = *new std::map<cl_device_id, WorkerProbe>;
  static std::map<std::pair<cl_device_id, int>, int> tids;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto t = tids.find({info.device, k}); t != tids.end()) return t->second;
  WorkerProbe& p = probes[info.device];
  if (p.subs.empty()) {
    Status s = make_probe(info, p);
    if (!s.ok()) {
      probes.erase(info.device);
      return s.with_context("finding PoCL's worker threads");
    }
  }
  if (k < 0 || static_cast<size_t>(k) >= p.subs.size())
    return internal_error("PoCL worker " + std::to_string(k) + " does not exist");
  Expected<int> tid = probe_worker(p, k);
  for (int retry = 0; retry < 2 && !tid.ok(); ++retry) tid = probe_worker(p, k);
  if (tid.ok()) tids[{info.device, k}] = *tid;
  return tid;
}

namespace {

// Worker index of each of `cores`: its position among the available cores.
Expected<int> first_worker(const DeviceInfo& info, const std::vector<int>& cores) {
  const std::vector<int> avail = available_cores();
  auto it = std::find(avail.begin(), avail.end(), cores.front());
  const int k0 = static_cast<int>(it - avail.begin());
  for (size_t i = 0; i < cores.size(); ++i)
    if (it == avail.end() || static_cast<size_t>(k0) + i >= avail.size() ||
        avail[static_cast<size_t>(k0) + i] != cores[i])
      return unsupported("opencl:cores=" + cores_text(cores) +
                         ": PoCL's workers are numbered along the available cores (" +
                         cores_text(avail) + "), so the cores must be consecutive among them");
  if (static_cast<size_t>(k0) + cores.size() > info.compute_units)
    return unsupported("opencl:cores=" + cores_text(cores) + ": device '" + info.name + "' has " +
                       std::to_string(info.compute_units) +
                       " PoCL worker threads (worker k runs on the k-th available core); "
                       "raise POCL_MAX_PTHREAD_COUNT or pick lower cores");
  return k0;
}

// The sub-device over workers [k0, k0 + n), made once per process.
Expected<cl_device_id> worker_range_device(const DeviceInfo& info, int k0, int n) {
  if (k0 == 0 && static_cast<uint32_t>(n) == info.compute_units) return info.device;
  static std::mutex mutex;
  static auto& made = *new std::map<std::pair<int, int>, cl_device_id>;  // never released
  std::lock_guard<std::mutex> lock(mutex);
  if (auto m = made.find({k0, n}); m != made.end()) return m->second;
  std::vector<cl_device_partition_property> props = {CL_DEVICE_PARTITION_BY_COUNTS};
  if (k0 > 0) props.push_back(k0);
  props.push_back(n);
  props.push_back(CL_DEVICE_PARTITION_BY_COUNTS_LIST_END);
  props.push_back(0);
  cl_device_id subs[2] = {nullptr, nullptr};
  cl_uint got = 0;
  TANDEM_CL_RETURN_IF_ERROR(clCreateSubDevices(info.device, props.data(), 2, subs, &got),
                            "clCreateSubDevices(BY_COUNTS) on '" + info.name + "'");
  if (got == 2) clReleaseDevice(subs[0]);
  made[{k0, n}] = subs[got - 1];
  return subs[got - 1];
}

}  // namespace

Expected<DeviceInfo> confine_to_cores(const DeviceInfo& info, const std::vector<int>& cores) {
  if (!is_pocl_cpu(info))
    return unsupported(
        "opencl:cores= confines a CPU device of PoCL (its pthread driver's worker "
        "threads); device '" +
        info.name + "' (" + info.type + ", platform '" + info.platform_name +
        "') cannot be confined to cores");
  if (cores.empty()) return invalid_argument("opencl:cores= lists no core");
  TANDEM_ASSIGN_OR_RETURN(int k0, first_worker(info, cores));
  for (size_t i = 0; i < cores.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(int tid, pocl_worker_tid(info, k0 + static_cast<int>(i)));
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cores[i], &set);
    if (sched_setaffinity(tid, sizeof set, &set) != 0)
      return internal_error("sched_setaffinity of PoCL worker thread " + std::to_string(tid) +
                            " to core " + std::to_string(cores[i]) + " failed");
  }
  TANDEM_ASSIGN_OR_RETURN(cl_device_id dev,
                          worker_range_device(info, k0, static_cast<int>(cores.size())));
  DeviceInfo confined = info;
  confined.device = dev;
  confined.compute_units = static_cast<uint32_t>(cores.size());
  return confined;
}

}  // namespace tandem::ocl
