// The x86 instruction-set levels the own cpu kernels are built for, which one
// this CPU runs, and the spec option (`isa=`) that forces a lower one.
//
// Why: the binary stays portable (baseline x86-64); each own kernel has one
// variant per level, chosen at run time from CpuKernelOptions::isa, so an
// AVX-512 machine can run, test and benchmark the AVX2 path too.
#pragma once

#include <cstdint>
#include <string>

#include "graph/status.h"

namespace tandem::cpu {

// Ordered: a level includes everything below it.
enum class CpuIsa : uint8_t {
  kGeneric = 0,  // no own x86 kernels: XNNPACK and the portable ones only
  kAvx2 = 1,     // AVX2 + FMA3 (Haswell, Zen 1-3 and later)
  kAvx512 = 2,   // AVX-512F (Skylake-SP, Ice Lake, Zen 4 and later)
};

// The best level this CPU runs (checked once; kGeneric off x86-64).
CpuIsa cpu_isa_detected();

// "generic", "avx2", "avx512".
const char* cpu_isa_name(CpuIsa isa);

// Parses an `isa=` value: "auto" (the detected level) or a level name. Asking
// for a level this CPU lacks is an error naming what it has.
Expected<CpuIsa> parse_cpu_isa(const std::string& text);

}  // namespace tandem::cpu
