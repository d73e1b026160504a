// One core's measured fp32 FMA peak, the yardstick for "% of peak" in bench.
#pragma once

#include <string>

namespace tandem {

// GFLOP/s (2 per FMA lane) of one core running independent FMA chains (24 zmm on
// AVX-512, 14 ymm on AVX2: several per FMA port and cycle of latency, so the
// units never wait) on the calling thread, for the best level this CPU has.
// Timed by the thread's CPU clock (a descheduled thread does not lower it), as
// the best of many ~2 ms runs, repeated until 8 runs in a row bring no gain of
// 0.5% (at most ~0.4 s). Measured once per level and process, then cached.
double fma_peak_gflops();

// Which loop measured it: "avx512f", "avx2+fma" or "scalar".
const char* fma_peak_isa();

// The same for one level, "avx512f", "avx2+fma" or "scalar" (the ISA a
// processor runs its kernels at); 0 for a level this CPU lacks.
double fma_peak_gflops(const std::string& isa);

// Measures `isa` again and keeps the higher of that and the cached value (for a
// caller whose own rate came out above the peak: the first measurement ran on
// a busy core). Returns the new value.
double fma_peak_remeasure(const std::string& isa);

}  // namespace tandem
