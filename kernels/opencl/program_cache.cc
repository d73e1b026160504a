#include "kernels/opencl/program_cache.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "graph/hash.h"
#include "kernels/opencl/cl_sources.h"

namespace tandem::ocl {
namespace {

// Part of every binary's key: bump it when the key's recipe changes, so that
// binaries cached under the old recipe are never looked up (v2: FNV-1a with
// the standard offset basis, graph/hash.h; v1 used 1469598103934665603).
constexpr const char* kKeyVersion = "clbin-v2";

// Prepended to every .cl file. `real` is the storage type; kernels load and
// store through LD/ST and compute in float. Half storage uses vload_half /
// vstore_half, core OpenCL 1.2, so it needs no cl_khr_fp16.
constexpr const char* kPrelude = R"CL(
#ifdef TANDEM_FP16
#ifdef cl_khr_fp16
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
#endif
typedef half real;
#define LD(p, i) vload_half((i), (p))
#define ST(p, i, v) vstore_half((v), (i), (p))
#else
typedef float real;
#define LD(p, i) ((p)[i])
#define ST(p, i, v) ((p)[i] = (v))
#endif
)CL";

std::string build_log(cl_program program, cl_device_id device) {
  size_t n = 0;
  if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, nullptr, &n) != CL_SUCCESS)
    return "(no build log)";
  std::string log(n, '\0');
  clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, n, log.data(), nullptr);
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  return log;
}

std::vector<unsigned char> read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return {};
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(f), {});
}

// Writes to a temporary name and renames, so a concurrent reader never sees half a file.
void write_file_atomic(const std::filesystem::path& p, const std::vector<unsigned char>& bytes) {
  std::error_code ec;
  std::filesystem::create_directories(p.parent_path(), ec);
  std::filesystem::path tmp = p;
  tmp += ".tmp" + std::to_string(std::rand());
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!f) return;
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    if (!f) return;
  }
  std::filesystem::rename(tmp, p, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

}  // namespace

std::string default_opencl_cache_dir() {
  if (const char* d = std::getenv("TANDEM_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d)
    return (std::filesystem::path(d) / "tandem").string();
  if (const char* d = std::getenv("HOME"); d && *d)
    return (std::filesystem::path(d) / ".cache" / "tandem").string();
  return "";
}

ProgramCache::ProgramCache(std::shared_ptr<DeviceContext> device, std::string dir)
    : device_(std::move(device)), dir_(std::move(dir)) {}

ProgramCache::~ProgramCache() = default;

ProgramCacheStats ProgramCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

Expected<cl_program> ProgramCache::get(const std::string& name, const std::string& options) {
  const auto& sources = opencl_sources();
  auto it = sources.find(name);
  if (it == sources.end()) return internal_error("no embedded OpenCL source '" + name + ".cl'");
  return build(name, it->second, options);
}

Expected<cl_program> ProgramCache::build(const std::string& name, const std::string& source,
                                         const std::string& options) {
  std::string full_options = "-cl-std=CL1.2 " + options;
  if (device_->fp16) full_options += " -DTANDEM_FP16=1";
  std::string full_source = std::string(kPrelude) + source;
  const DeviceInfo& info = device_->info;
  std::string key =
      hex64(fnv1a64(std::string(kKeyVersion) + '\n' + info.name + '\n' + info.driver_version +
                    '\n' + info.platform_version + '\n' + full_options + '\n' + full_source));
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto p = programs_.find(key); p != programs_.end()) {
    ++stats_.memory_hits;
    return p->second.get();
  }
  cl_device_id dev = info.device;
  std::filesystem::path file = dir_.empty()
                                   ? std::filesystem::path()
                                   : std::filesystem::path(dir_) / (name + "-" + key + ".clbin");

  auto t0 = std::chrono::steady_clock::now();
  auto elapsed_ms = [&] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  // Cached binary first; any failure (stale, corrupt) falls through to a source build.
  if (!file.empty()) {
    std::vector<unsigned char> bin = read_file(file);
    if (!bin.empty()) {
      const unsigned char* ptr = bin.data();
      size_t size = bin.size();
      cl_int bin_status = CL_SUCCESS, err = CL_SUCCESS;
      ProgramHandle prog(clCreateProgramWithBinary(device_->context.get(), 1, &dev, &size, &ptr,
                                                   &bin_status, &err));
      if (err == CL_SUCCESS && bin_status == CL_SUCCESS &&
          clBuildProgram(prog.get(), 1, &dev, full_options.c_str(), nullptr, nullptr) ==
              CL_SUCCESS) {
        ++stats_.loaded_from_disk;
        stats_.build_ms += elapsed_ms();
        cl_program raw = prog.get();
        programs_[key] = std::move(prog);
        return raw;
      }
    }
  }
  const char* src = full_source.c_str();
  size_t len = full_source.size();
  cl_int err = CL_SUCCESS;
  ProgramHandle prog(clCreateProgramWithSource(device_->context.get(), 1, &src, &len, &err));
  if (err != CL_SUCCESS) return cl_status(err, "clCreateProgramWithSource for " + name + ".cl");
  err = clBuildProgram(prog.get(), 1, &dev, full_options.c_str(), nullptr, nullptr);
  if (err == CL_BUILD_PROGRAM_FAILURE || err == CL_INVALID_BUILD_OPTIONS)
    return internal_error("OpenCL program " + name + ".cl failed to build on '" + info.name +
                          "' with options '" + full_options + "'; build log:\n" +
                          build_log(prog.get(), dev));
  if (err != CL_SUCCESS) return cl_status(err, "clBuildProgram for " + name + ".cl");
  ++stats_.built_from_source;
  stats_.build_ms += elapsed_ms();
  if (!file.empty()) {
    size_t size = 0;
    if (clGetProgramInfo(prog.get(), CL_PROGRAM_BINARY_SIZES, sizeof size, &size, nullptr) ==
            CL_SUCCESS &&
        size > 0) {
      std::vector<unsigned char> bin(size);
      unsigned char* ptr = bin.data();
      if (clGetProgramInfo(prog.get(), CL_PROGRAM_BINARIES, sizeof ptr, &ptr, nullptr) ==
          CL_SUCCESS)
        write_file_atomic(file, bin);
    }
  }
  cl_program raw = prog.get();
  programs_[key] = std::move(prog);
  return raw;
}

}  // namespace tandem::ocl
