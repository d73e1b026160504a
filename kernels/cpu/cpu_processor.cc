// The `cpu` processor: spec parsing, the thread pool and its core pinning.
#include "kernels/cpu/cpu_processor.h"

#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <initializer_list>
#include <mutex>
#include <thread>

#include "kernels/cpu/compiler/cpu_executable.h"
#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/x86/qgemm_amx.h"
#include "kernels/cpu/x86/xnnpack_isa.h"
#include "kernels/reference/reference_kernels.h"

namespace tandem {
namespace {

constexpr int kMaxThreads = 256;

Expected<int> parse_int(const std::string& text, const std::string& what, const std::string& spec) {
  if (text.empty() || text.size() > 6 || !std::all_of(text.begin(), text.end(), ::isdigit))
    return invalid_argument("cpu spec '" + spec + "': " + what + " '" + text +
                            "' is not a non-negative integer");
  return std::stoi(text);
}

std::string cores_text(const std::vector<int>& cores) {
  if (cores.size() > 1 && cores.back() - cores.front() + 1 == static_cast<int>(cores.size()))
    return std::to_string(cores.front()) + "-" + std::to_string(cores.back());
  std::string s;
  for (int c : cores) s += (s.empty() ? "" : "+") + std::to_string(c);
  return s;
}

Status initialize_xnnpack() {
  static std::once_flag once;
  static enum xnn_status status = xnn_status_success;
  static Status limited;
  std::call_once(once, [] {
    limited = cpu::limit_xnnpack_isa_from_env();  // before XNNPACK reads the CPU's features
    status = xnn_initialize(nullptr);
  });
  if (!limited.ok()) return limited;
  if (status != xnn_status_success)
    return internal_error("xnn_initialize failed with code " +
                          std::to_string(static_cast<int>(status)) +
                          " (this CPU may lack the instructions XNNPACK needs)");
  return Status();
}

Status set_affinity(pid_t tid, const std::vector<int>& cores) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cores) CPU_SET(c, &set);
  if (sched_setaffinity(tid, sizeof(set), &set) != 0)
    return internal_error("sched_setaffinity to cores " + cores_text(cores) + " failed");
  return Status();
}

// Every thread of the pool takes exactly one item (the barrier stops work
// stealing) and records its kernel thread id, so the caller can pin it.
struct PinJob {
  std::atomic<size_t> arrived{0};
  size_t threads = 0;
  std::vector<pid_t> tids;
};

void record_tid(void* ctx, size_t index) {
  auto* j = static_cast<PinJob*>(ctx);
  j->tids[index] = static_cast<pid_t>(syscall(SYS_gettid));
  j->arrived.fetch_add(1);
  while (j->arrived.load() < j->threads) std::this_thread::yield();
}

struct PoolDeleter {
  void operator()(pthreadpool* p) const {
    if (p) pthreadpool_destroy(p);
  }
};

class CpuProcessor : public Processor {
 public:
  explicit CpuProcessor(CpuSpec spec) : spec_(std::move(spec)) {}

  Status init() {
    TANDEM_RETURN_IF_ERROR(initialize_xnnpack());
    if (spec_.threads > 1) {
      pool_ = std::shared_ptr<pthreadpool>(pthreadpool_create(static_cast<size_t>(spec_.threads)),
                                           PoolDeleter());
      if (!pool_)
        return resource_exhausted("cpu: cannot create a pool of " + std::to_string(spec_.threads) +
                                  " threads");
    }
    if (!spec_.cores.empty() && pool_) {
      PinJob job;
      job.threads = pthreadpool_get_threads_count(pool_.get());
      job.tids.assign(job.threads, 0);
      pthreadpool_parallelize_1d(pool_.get(), record_tid, &job, job.threads, 0);
      pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
      for (size_t i = 0; i < job.tids.size(); ++i)
        if (job.tids[i] != self) TANDEM_RETURN_IF_ERROR(set_affinity(job.tids[i], cores_for(i)));
    }
    return Status();
  }

  std::string spec() const override { return cpu_spec_text(spec_); }
  // Whether dense int8 convs run on the AMX GEMM (the CPU and OS grant it, amx=auto,
  // own GEMMs, isa at least avx512).
  bool int8_on_amx() const {
    return spec_.amx && spec_.gemm != "xnnpack" &&
           *cpu::parse_cpu_isa(spec_.isa) >= cpu::CpuIsa::kAvx512 && cpu::qgemm_amx_available();
  }
  std::string description() const override {
    return "XNNPACK cpu, " + std::to_string(spec_.threads) + " thread(s), isa " +
           cpu::cpu_isa_name(*cpu::parse_cpu_isa(spec_.isa)) +
           (cpu::xnnpack_isa() < cpu::cpu_isa_detected()
                ? std::string(", XNNPACK at ") + cpu::cpu_isa_name(cpu::xnnpack_isa())
                : std::string()) +
           (int8_on_amx() ? ", int8 on AMX" : "") +
           (spec_.cores.empty() ? ", not pinned" : ", cores " + cores_text(spec_.cores));
  }
  bool supports(const Graph& g, const Node& n) const override {
    return cpu::cpu_op_support(g, n).factory != nullptr || reference_kernel(n.op) != nullptr;
  }
  Expected<std::unique_ptr<Executable>> compile(const Graph& g, int first, int last) override {
    if (first < 0 || last > static_cast<int>(g.nodes.size()) || first >= last)
      return invalid_argument("cpu: bad node range [" + std::to_string(first) + ", " +
                              std::to_string(last) + ") for a graph of " +
                              std::to_string(g.nodes.size()) + " nodes");
    cpu::CpuKernelOptions options;
    using W = cpu::CpuKernelOptions::Winograd;
    options.winograd = spec_.winograd == "off"  ? W::kOff
                       : spec_.winograd == "on" ? W::kOn
                                                : W::kAuto;
    using G = cpu::CpuKernelOptions::Gemm;
    options.fuse_residual = spec_.fuse_residual;
    options.fuse_blocks = spec_.fuse_blocks;
    options.fuse_silu = spec_.fuse_silu;
    using N = cpu::CpuKernelOptions::Neon;
    options.neon = spec_.neon == "on" ? N::kOn : spec_.neon == "off" ? N::kOff : N::kAuto;
    options.gemm = spec_.gemm == "xnnpack" ? G::kXnnpack : spec_.gemm == "own" ? G::kOwn : G::kAuto;
    options.isa = *cpu::parse_cpu_isa(spec_.isa);  // checked by parse_cpu_spec
    options.amx = spec_.amx;
    return cpu::compile_cpu_range(g, first, last, pool_.get(), pool_, options);
  }
  Status bind_current_thread() override {
    if (spec_.cores.empty()) return Status();
    return set_affinity(0, cores_for(0));
  }
  std::vector<int> cores() const override { return spec_.cores; }
  int threads() const override { return spec_.threads; }
  std::string core_group_spec(const std::vector<int>& cores) const override {
    CpuSpec plain;
    plain.cores = spec_.cores;
    plain.threads = static_cast<int>(spec_.cores.size());
    if (spec_.cores.empty() || cores.empty() || cpu_spec_text(plain) != spec()) return "";
    plain.cores = cores;
    std::sort(plain.cores.begin(), plain.cores.end());
    plain.threads = static_cast<int>(cores.size());
    return cpu_spec_text(plain);
  }

 private:
  // One core per thread when the counts match, else the whole group.
  std::vector<int> cores_for(size_t thread) const {
    if (spec_.cores.size() == static_cast<size_t>(spec_.threads))
      return {spec_.cores[thread % spec_.cores.size()]};
    return spec_.cores;
  }

  CpuSpec spec_;
  std::shared_ptr<pthreadpool> pool_;
};

}  // namespace

std::vector<int> cpu_available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cores;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    unsigned n = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) cores.push_back(static_cast<int>(i));
    return cores;
  }
  for (int i = 0; i < CPU_SETSIZE; ++i)
    if (CPU_ISSET(i, &set)) cores.push_back(i);
  return cores;
}

namespace {

// One item of cores=: "A" or "A-B", appended to `cores` (each available, none twice).
Status add_core_item(const std::string& item, const std::string& text,
                     const std::vector<int>& available, std::vector<int>& cores) {
  size_t dash = item.find('-');
  int lo, hi;
  if (dash == std::string::npos) {
    TANDEM_ASSIGN_OR_RETURN(lo, parse_int(item, "core", text));
    hi = lo;
  } else {
    TANDEM_ASSIGN_OR_RETURN(lo, parse_int(item.substr(0, dash), "core", text));
    TANDEM_ASSIGN_OR_RETURN(hi, parse_int(item.substr(dash + 1), "core", text));
    if (hi < lo)
      return invalid_argument("cpu spec '" + text + "': empty core range '" + item + "'");
  }
  for (int c = lo; c <= hi; ++c) {
    if (std::find(available.begin(), available.end(), c) == available.end())
      return invalid_argument("cpu spec '" + text + "': core " + std::to_string(c) +
                              " does not exist or is not available to this process "
                              "(available: " +
                              cores_text(available) + ")");
    if (std::find(cores.begin(), cores.end(), c) != cores.end())
      return invalid_argument("cpu spec '" + text + "': core " + std::to_string(c) +
                              " listed twice");
    cores.push_back(c);
  }
  return Status();
}

// cores=: "A", "A-B" or "A+B+C" (commas already separate spec options), sorted.
Status parse_cores(const std::string& value, const std::string& text,
                   const std::vector<int>& available, std::vector<int>& cores) {
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t plus = value.find('+', pos);
    std::string item = value.substr(pos, plus == std::string::npos ? plus : plus - pos);
    TANDEM_RETURN_IF_ERROR(add_core_item(item, text, available, cores));
    if (plus == std::string::npos) break;
    pos = plus + 1;
  }
  std::sort(cores.begin(), cores.end());
  return Status();
}

// A key=value whose value is one of `choices`; the error lists them as `allowed`.
Status check_choice(const std::string& text, const std::string& key, const std::string& value,
                    std::initializer_list<const char*> choices, const char* allowed) {
  for (const char* c : choices)
    if (value == c) return Status();
  return invalid_argument("cpu spec '" + text + "': " + key + " must be " + allowed);
}

// The options taking one of a few words (winograd, gemm, neon, residual,
// blocks, silu, isa, amx) into `spec`; false when `key` is none of them.
Expected<bool> parse_choice_option(const ProcessorSpec& ps, const std::string& key,
                                   const std::string& value, CpuSpec& spec) {
  const std::string& t = ps.text;
  if (key == "winograd") {
    TANDEM_RETURN_IF_ERROR(check_choice(t, key, value, {"off", "auto", "on"}, "off, auto or on"));
    spec.winograd = value;
  } else if (key == "gemm") {
    TANDEM_RETURN_IF_ERROR(
        check_choice(t, key, value, {"xnnpack", "auto", "own"}, "xnnpack, auto or own"));
    spec.gemm = value;
  } else if (key == "neon") {
    TANDEM_RETURN_IF_ERROR(check_choice(t, key, value, {"auto", "on", "off"}, "auto, on or off"));
    spec.neon = value;
  } else if (key == "residual") {
    TANDEM_RETURN_IF_ERROR(check_choice(t, key, value, {"fused", "separate"}, "fused or separate"));
    spec.fuse_residual = value == "fused";
  } else if (key == "isa") {
    Expected<cpu::CpuIsa> isa = cpu::parse_cpu_isa(value);
    if (!isa.ok()) return invalid_argument("cpu spec '" + t + "': " + isa.status().message());
    spec.isa = value;
  } else if (key == "blocks") {
    TANDEM_RETURN_IF_ERROR(check_choice(t, key, value, {"fused", "separate"}, "fused or separate"));
    spec.fuse_blocks = value == "fused";
  } else if (key == "silu") {
    TANDEM_RETURN_IF_ERROR(check_choice(t, key, value, {"fused", "separate"}, "fused or separate"));
    spec.fuse_silu = value == "fused";
  } else if (key == "amx") {
    TANDEM_RETURN_IF_ERROR(check_choice(t, key, value, {"auto", "off"}, "auto or off"));
    spec.amx = value == "auto";
  } else {
    return false;
  }
  return true;
}

}  // namespace

Expected<CpuSpec> parse_cpu_spec(const ProcessorSpec& ps) {
  if (ps.kind != "cpu") return invalid_argument("not a cpu spec: '" + ps.text + "'");
  CpuSpec spec;
  bool have_threads = false, have_cores = false;
  const std::vector<int> available = cpu_available_cores();
  for (const auto& [key, value] : ps.options) {
    if (key == "threads") {
      if (have_threads) return invalid_argument("cpu spec '" + ps.text + "': threads given twice");
      have_threads = true;
      TANDEM_ASSIGN_OR_RETURN(spec.threads, parse_int(value, "threads", ps.text));
      if (spec.threads < 1 || spec.threads > kMaxThreads)
        return invalid_argument("cpu spec '" + ps.text + "': threads must be 1.." +
                                std::to_string(kMaxThreads));
    } else if (key == "cores") {
      if (have_cores) return invalid_argument("cpu spec '" + ps.text + "': cores given twice");
      have_cores = true;
      TANDEM_RETURN_IF_ERROR(parse_cores(value, ps.text, available, spec.cores));
    } else {
      TANDEM_ASSIGN_OR_RETURN(bool known, parse_choice_option(ps, key, value, spec));
      if (!known)
        return invalid_argument("cpu spec '" + ps.text + "': unknown option '" + key +
                                "' (known: threads=N, cores=A-B, winograd=off|auto|on, "
                                "gemm=xnnpack|auto|own, residual=fused|separate, "
                                "blocks=fused|separate, silu=fused|separate, neon=auto|on|off, "
                                "isa=auto|avx512|avx2|generic, amx=auto|off)");
    }
  }
  if (!have_threads)
    spec.threads = static_cast<int>(spec.cores.empty() ? available.size() : spec.cores.size());
  return spec;
}

std::string cpu_spec_text(const CpuSpec& spec) {
  std::string s;
  if (spec.cores.empty()) {
    s = "cpu:threads=" + std::to_string(spec.threads);
  } else {
    s = "cpu:cores=" + cores_text(spec.cores);
    if (static_cast<size_t>(spec.threads) != spec.cores.size())
      s += ",threads=" + std::to_string(spec.threads);
  }
  if (spec.winograd != "auto") s += ",winograd=" + spec.winograd;
  if (spec.gemm != "auto") s += ",gemm=" + spec.gemm;
  if (!spec.fuse_residual) s += ",residual=separate";
  if (!spec.fuse_blocks) s += ",blocks=separate";
  if (!spec.fuse_silu) s += ",silu=separate";
  if (spec.neon != "auto") s += ",neon=" + spec.neon;
  if (spec.isa != "auto") s += ",isa=" + spec.isa;
  if (!spec.amx) s += ",amx=off";
  return s;
}

Expected<std::unique_ptr<Processor>> make_cpu_processor(const ProcessorSpec& ps) {
  TANDEM_ASSIGN_OR_RETURN(CpuSpec spec, parse_cpu_spec(ps));
  auto p = std::make_unique<CpuProcessor>(std::move(spec));
  TANDEM_RETURN_IF_ERROR(p->init());
  return std::unique_ptr<Processor>(std::move(p));
}

void register_cpu_processor(ProcessorRegistry& r) {
  r.add("cpu", make_cpu_processor);
}

}  // namespace tandem
