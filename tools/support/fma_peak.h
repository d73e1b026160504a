// One core's measured fp32 FMA peak, the yardstick for "% of peak" in bench.
#pragma once

namespace tandem {

// GFLOP/s (2 per FMA lane) of one core running independent AVX-512 (else
// AVX2+FMA, else scalar) FMA chains for ~0.1 s on the calling thread. Measured
// once per process (best of 3), then cached.
double fma_peak_gflops();

// Which loop measured it: "avx512f", "avx2+fma" or "scalar".
const char* fma_peak_isa();

}  // namespace tandem
