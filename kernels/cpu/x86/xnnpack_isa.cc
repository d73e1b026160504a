#include "kernels/cpu/x86/xnnpack_isa.h"

#include <cpuinfo.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace tandem::cpu {
namespace {

CpuIsa& limited_to() {
  static CpuIsa isa = cpu_isa_detected();
  return isa;
}

}  // namespace

CpuIsa xnnpack_isa() {
  return limited_to();
}

bool limit_xnnpack_isa(CpuIsa isa) {
#if defined(__x86_64__)
  if (!cpuinfo_initialize()) return false;
  if (isa >= CpuIsa::kAvx512) return true;
  limited_to() = std::min(limited_to(), std::max(isa, CpuIsa::kAvx2));
  // cpuinfo_isa is cpuinfo's (writable) global that its cpuinfo_has_x86_* read.
  cpuinfo_isa.avx512f = cpuinfo_isa.avx512pf = cpuinfo_isa.avx512er = false;
  cpuinfo_isa.avx512cd = cpuinfo_isa.avx512dq = cpuinfo_isa.avx512bw = false;
  cpuinfo_isa.avx512vl = cpuinfo_isa.avx512ifma = cpuinfo_isa.avx512vbmi = false;
  cpuinfo_isa.avx512vbmi2 = cpuinfo_isa.avx512bitalg = cpuinfo_isa.avx512vpopcntdq = false;
  cpuinfo_isa.avx512vnni = cpuinfo_isa.avx512bf16 = cpuinfo_isa.avx512vp2intersect = false;
  cpuinfo_isa.avx512_4vnniw = cpuinfo_isa.avx512_4fmaps = false;
  return true;
#else
  (void)isa;
  return false;
#endif
}

Status limit_xnnpack_isa_from_env() {
  const char* env = std::getenv("TANDEM_XNNPACK_ISA");
  if (!env || !*env) return Status();
  Expected<CpuIsa> isa = parse_cpu_isa(env);
  if (!isa.ok()) return invalid_argument("TANDEM_XNNPACK_ISA: " + isa.status().message());
  if (*isa < cpu_isa_detected() && !limit_xnnpack_isa(*isa))
    return internal_error("TANDEM_XNNPACK_ISA: cannot limit XNNPACK's CPU view (cpuinfo failed)");
  return Status();
}

}  // namespace tandem::cpu
