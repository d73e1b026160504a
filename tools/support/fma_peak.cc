#include "tools/support/fma_peak.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tandem {
namespace {

constexpr int kChains = 12;  // > FMA latency x ports (4 x 2): the units never wait
// The loops are noipa: a call GCC knows to be pure may be moved across the clock reads.

#if defined(__x86_64__)
__attribute__((target("avx512f"), noipa)) float fma_loop_avx512(long iterations) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long it = 0; it < iterations; ++it)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  __m512 s = acc[0];
  for (int i = 1; i < kChains; ++i) s = _mm512_add_ps(s, acc[i]);
  float lanes[16];
  _mm512_storeu_ps(lanes, s);
  float t = 0;
  for (float v : lanes) t += v;
  return t;
}

__attribute__((target("avx2,fma"), noipa)) float fma_loop_avx2(long iterations) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long it = 0; it < iterations; ++it)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 s = acc[0];
  for (int i = 1; i < kChains; ++i) s = _mm256_add_ps(s, acc[i]);
  float lanes[8];
  _mm256_storeu_ps(lanes, s);
  float t = 0;
  for (float v : lanes) t += v;
  return t;
}
#endif

__attribute__((noipa)) float fma_loop_scalar(long iterations) {
  float acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = static_cast<float>(i);
  for (long it = 0; it < iterations; ++it)
    for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * 0.999999f + 1e-7f;
  float s = 0;
  for (float v : acc) s += v;
  return s;
}

struct Peak {
  double gflops = 0;
  const char* isa = "scalar";
};

Peak measure() {
  Peak p;
  int lanes = 1;
  float (*loop)(long) = fma_loop_scalar;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    loop = fma_loop_avx512, lanes = 16, p.isa = "avx512f";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    loop = fma_loop_avx2, lanes = 8, p.isa = "avx2+fma";
  }
#endif
  volatile float sink = loop(1000);  // warm up: clocks ramp, AVX-512 license settles
  const long iterations = 2000000;
  for (int rep = 0; rep < 3; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    sink = sink + loop(iterations);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double flops = 2.0 * lanes * kChains * static_cast<double>(iterations);
    p.gflops = std::max(p.gflops, flops / s / 1e9);
  }
  return p;
}

const Peak& cached() {
  static std::once_flag once;
  static Peak peak;
  std::call_once(once, [] { peak = measure(); });
  return peak;
}

}  // namespace

double fma_peak_gflops() {
  return cached().gflops;
}
const char* fma_peak_isa() {
  return cached().isa;
}

}  // namespace tandem
