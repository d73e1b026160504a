#include "engine/fma_peak.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tandem {
namespace {

// Independent accumulator chains per loop: FMA latency (4-5 cycles) times ports (2)
// is 8-10; more chains than that keep both ports busy every cycle. AVX2 has 16 ymm
// registers (14 chains and the two operands), AVX-512 32 zmm.
constexpr int kChainsAvx512 = 24;
constexpr int kChainsAvx2 = 14;
constexpr int kChainsScalar = 12;
// The loops are noipa: a call GCC knows to be pure may be moved across the clock reads.

#if defined(__x86_64__)
__attribute__((target("avx512f"), noipa)) float fma_loop_avx512(long iterations) {
  constexpr int n = kChainsAvx512;
  __m512 acc[n];
  for (int i = 0; i < n; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long it = 0; it < iterations; ++it)
#pragma GCC unroll 24
    for (int i = 0; i < n; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  __m512 s = acc[0];
  for (int i = 1; i < n; ++i) s = _mm512_add_ps(s, acc[i]);
  float lanes[16];
  _mm512_storeu_ps(lanes, s);
  float t = 0;
  for (float v : lanes) t += v;
  return t;
}

__attribute__((target("avx2,fma"), noipa)) float fma_loop_avx2(long iterations) {
  constexpr int n = kChainsAvx2;
  __m256 acc[n];
  for (int i = 0; i < n; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long it = 0; it < iterations; ++it)
#pragma GCC unroll 14
    for (int i = 0; i < n; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 s = acc[0];
  for (int i = 1; i < n; ++i) s = _mm256_add_ps(s, acc[i]);
  float lanes[8];
  _mm256_storeu_ps(lanes, s);
  float t = 0;
  for (float v : lanes) t += v;
  return t;
}
#endif

__attribute__((noipa)) float fma_loop_scalar(long iterations) {
  constexpr int n = kChainsScalar;
  float acc[n];
  for (int i = 0; i < n; ++i) acc[i] = static_cast<float>(i);
  for (long it = 0; it < iterations; ++it)
    for (int i = 0; i < n; ++i) acc[i] = acc[i] * 0.999999f + 1e-7f;
  float s = 0;
  for (float v : acc) s += v;
  return s;
}

struct Level {
  const char* name;
  float (*loop)(long);
  double flops_per_iteration;  // 2 x lanes x chains
  bool available;
};

Level level(const std::string& isa) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (isa == "avx512f")
    return {"avx512f", fma_loop_avx512, 2.0 * 16 * kChainsAvx512,
            __builtin_cpu_supports("avx512f") != 0};
  if (isa == "avx2+fma")
    return {"avx2+fma", fma_loop_avx2, 2.0 * 8 * kChainsAvx2,
            __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")};
#endif
  return {"scalar", fma_loop_scalar, 2.0 * kChainsScalar, isa == "scalar"};
}

const char* best_level() {
#if defined(__x86_64__)
  if (level("avx512f").available) return "avx512f";
  if (level("avx2+fma").available) return "avx2+fma";
#endif
  return "scalar";
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Best of many short runs; stops once 8 runs in a row gained < 0.5%.
double measure(const Level& lv) {
  if (!lv.available) return 0;
  volatile float sink = 0;
  // Warm up ~20 ms: clocks ramp, the AVX-512 license settles.
  const auto warm_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  while (std::chrono::steady_clock::now() < warm_end) sink = sink + lv.loop(10000);
  // ~2 ms per run at 100 GFLOP/s.
  const long iterations = std::max(1000L, long(2e8 / lv.flops_per_iteration));
  double best = 0;
  int stale = 0;
  for (int run = 0; run < 200 && stale < 8; ++run) {
    const double t0 = thread_cpu_seconds();
    sink = sink + lv.loop(iterations);
    const double s = thread_cpu_seconds() - t0;
    if (s <= 0) continue;
    const double gflops = lv.flops_per_iteration * double(iterations) / s / 1e9;
    stale = gflops > best * 1.005 ? 0 : stale + 1;
    best = std::max(best, gflops);
  }
  return best;
}

struct Cache {
  std::mutex mu;
  double gflops[3] = {-1, -1, -1};  // avx512f, avx2+fma, scalar; -1: not measured
};

Cache& cache() {
  static Cache c;
  return c;
}

int slot(const char* name) {
  const std::string s = name;
  return s == "avx512f" ? 0 : s == "avx2+fma" ? 1 : 2;
}

double cached(const std::string& isa, bool again) {
  const Level lv = level(isa);
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  double& v = c.gflops[slot(lv.name)];
  if (v < 0 || again) v = std::max(v, measure(lv));
  return v;
}

}  // namespace

double fma_peak_gflops() {
  return cached(best_level(), false);
}
const char* fma_peak_isa() {
  return best_level();
}
double fma_peak_gflops(const std::string& isa) {
  return cached(isa, false);
}
double fma_peak_remeasure(const std::string& isa) {
  return cached(isa, true);
}

}  // namespace tandem
