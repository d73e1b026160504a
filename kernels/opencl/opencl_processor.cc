// The opencl processor: spec parsing, device selection, registration.
#include "kernels/opencl/opencl_processor.h"

#include <sched.h>

#include <cctype>

#include "kernels/opencl/executable.h"
#include "kernels/opencl/pocl_cores.h"
#include "kernels/reference/reference_kernels.h"

namespace tandem {
namespace {

class OpenCLProcessor final : public Processor {
 public:
  OpenCLProcessor(std::string spec, std::shared_ptr<ocl::DeviceContext> device,
                  std::shared_ptr<ocl::ProgramCache> programs, ocl::CompileOptions options,
                  std::vector<int> cores)
      : spec_(std::move(spec)),
        device_(std::move(device)),
        programs_(std::move(programs)),
        options_(std::move(options)),
        cores_(std::move(cores)) {}

  std::string spec() const override { return spec_; }
  std::string description() const override {
    std::string cores;
    for (int c : cores_) cores += (cores.empty() ? ", cores " : "+") + std::to_string(c);
    return ocl::device_summary(device_->info) + (device_->fp16 ? ", fp16" : ", fp32") +
           ", gemm=" + options_.gemm_backend + ", hand-over by " +
           (maps() ? "map (no copies)" : "copy") + cores;
  }
  // The stage worker only enqueues and waits, on the device's cores.
  Status bind_current_thread() override {
    if (cores_.empty()) return Status();
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cores_) CPU_SET(c, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
      return internal_error(spec_ + ": sched_setaffinity of the calling thread failed");
    return Status();
  }
  std::vector<int> cores() const override { return cores_; }
  // handover=map holds for fp32 with the own GEMM kernels (fp16 converts and
  // CLBlast takes buffers per call, so both keep copies).
  bool maps() const {
    return options_.handover == ocl::Handover::kMap && !device_->fp16 &&
           options_.gemm_backend != "clblast";
  }
  int threads() const override { return cores_.empty() ? 1 : static_cast<int>(cores_.size()); }
  // Everything with a reference kernel runs: natively or through the fallback.
  bool supports(const Graph&, const Node& n) const override {
    return reference_kernel(n.op) != nullptr || n.op == OpType::kReshape ||
           n.op == OpType::kFlatten || n.op == OpType::kIdentity;
  }
  Expected<std::unique_ptr<Executable>> compile(const Graph& g, int first, int last) override {
    return ocl::compile_opencl_range(device_, programs_, options_, g, first, last);
  }

 private:
  std::string spec_;
  std::shared_ptr<ocl::DeviceContext> device_;
  std::shared_ptr<ocl::ProgramCache> programs_;
  ocl::CompileOptions options_;
  std::vector<int> cores_;
};

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return s.size() < 6;
}

}  // namespace

Expected<std::unique_ptr<Processor>> make_opencl_processor(const ProcessorSpec& spec) {
  int index = 0;
  bool fp16 = false, fp16_storage_only = false;
  ocl::CompileOptions options;
  const std::string valid =
      "valid options: N (device index), device=N, fp16, fp16=storage, gemm=own|tiled|clblast, "
      "cores=A|A-B|A+B (CPU devices of PoCL), handover=copy|map|auto";
  ocl::Handover handover = ocl::Handover::kAuto;
  std::vector<int> cores;
  for (const auto& [key, value] : spec.options) {
    if (value.empty() && all_digits(key)) {
      index = std::stoi(key);
    } else if (key == "device" && all_digits(value)) {
      index = std::stoi(value);
    } else if (key == "fp16" && (value.empty() || value == "storage")) {
      fp16 = true;
      fp16_storage_only = value == "storage";
    } else if (key == "gemm" && (value == "own" || value == "tiled" || value == "clblast")) {
      options.gemm_backend = value;
    } else if (key == "handover" && (value == "copy" || value == "map" || value == "auto")) {
      handover = value == "copy"  ? ocl::Handover::kCopy
                 : value == "map" ? ocl::Handover::kMap
                                  : ocl::Handover::kAuto;
    } else if (key == "cores" && cores.empty()) {
      TANDEM_ASSIGN_OR_RETURN(cores, ocl::parse_opencl_cores(value, spec.text));
    } else {
      return invalid_argument("processor spec '" + spec.text + "': bad option '" + key +
                              (value.empty() ? "" : "=" + value) + "'; " + valid);
    }
  }
  TANDEM_ASSIGN_OR_RETURN(std::vector<ocl::DeviceInfo> devices, ocl::list_opencl_devices());
  TANDEM_ASSIGN_OR_RETURN(ocl::DeviceInfo info, ocl::select_opencl_device(devices, index));
  if (!cores.empty()) {
    Expected<ocl::DeviceInfo> confined = ocl::confine_to_cores(info, cores);
    if (!confined.ok()) return confined.status().with_context("processor spec '" + spec.text + "'");
    info = std::move(confined).value();
  }
  TANDEM_ASSIGN_OR_RETURN(std::shared_ptr<ocl::DeviceContext> device,
                          ocl::open_device_context(info, fp16, fp16_storage_only));
  // auto: map where the device addresses host memory (fp16 storage always copies:
  // it converts at the boundary).
  options.handover = handover != ocl::Handover::kAuto ? handover
                     : ocl::shares_host_memory(info)  ? ocl::Handover::kMap
                                                      : ocl::Handover::kCopy;
  auto programs = std::make_shared<ocl::ProgramCache>(device, ocl::default_opencl_cache_dir());
  std::string canonical = "opencl:" + std::to_string(index);
  if (fp16) canonical += fp16_storage_only ? ",fp16=storage" : ",fp16";
  if (options.gemm_backend != "own") canonical += ",gemm=" + options.gemm_backend;
  if (!cores.empty()) canonical += ",cores=" + ocl::cores_spec_text(cores);
  if (handover != ocl::Handover::kAuto)
    canonical += std::string(",handover=") + ocl::handover_name(handover);
  return std::unique_ptr<Processor>(std::make_unique<OpenCLProcessor>(
      canonical, std::move(device), std::move(programs), options, std::move(cores)));
}

void register_opencl_processor(ProcessorRegistry& r) {
  r.add("opencl", make_opencl_processor);
}

}  // namespace tandem
