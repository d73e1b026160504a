// Makes XNNPACK pick its kernels as on a CPU of a lower x86 level, so an AVX-512
// machine can measure what an AVX2-only one runs (own kernels at isa=avx2 and
// XNNPACK's AVX2/FMA3 kernels side by side).
//
// How: XNNPACK 2022 chooses its micro-kernels once, in xnn_initialize, from
// cpuinfo's description of the CPU; this clears the AVX-512 flags there. It is
// process-wide and only has effect before xnn_initialize, so the cpu processor
// applies it only when asked by the environment (TANDEM_XNNPACK_ISA=avx2) and
// bench_cpu_kernels when TANDEM_BENCH_ISA is below the detected level.
#pragma once

#include "kernels/cpu/x86/isa.h"

namespace tandem::cpu {

// Limits XNNPACK's view of the CPU to `isa` (only kAvx2 lowers anything; kGeneric
// is treated as kAvx2: XNNPACK needs SSE at least and has no portable mode).
// Returns false where it cannot (not x86-64, cpuinfo failed).
bool limit_xnnpack_isa(CpuIsa isa);

// The level XNNPACK was limited to (the detected one when never limited).
CpuIsa xnnpack_isa();

// TANDEM_XNNPACK_ISA from the environment: applies limit_xnnpack_isa when set to a
// level below the detected one; an unknown value is an error.
Status limit_xnnpack_isa_from_env();

}  // namespace tandem::cpu
