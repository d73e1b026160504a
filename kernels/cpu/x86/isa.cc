#include "kernels/cpu/x86/isa.h"

namespace tandem::cpu {

CpuIsa cpu_isa_detected() {
#if defined(__x86_64__)
  static const CpuIsa isa = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return CpuIsa::kAvx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CpuIsa::kAvx2;
    return CpuIsa::kGeneric;
  }();
  return isa;
#else
  return CpuIsa::kGeneric;
#endif
}

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kAvx512:
      return "avx512";
    case CpuIsa::kAvx2:
      return "avx2";
    case CpuIsa::kGeneric:
      break;
  }
  return "generic";
}

Expected<CpuIsa> parse_cpu_isa(const std::string& text) {
  const CpuIsa have = cpu_isa_detected();
  if (text == "auto") return have;
  CpuIsa want;
  if (text == "generic") {
    want = CpuIsa::kGeneric;
  } else if (text == "avx2") {
    want = CpuIsa::kAvx2;
  } else if (text == "avx512") {
    want = CpuIsa::kAvx512;
  } else {
    return invalid_argument("isa must be auto, avx512, avx2 or generic, not '" + text + "'");
  }
  if (want > have)
    return invalid_argument(std::string("isa=") + text + " is not available: this CPU runs up to " +
                            cpu_isa_name(have));
  return want;
}

}  // namespace tandem::cpu
