// The SIMD layer (kernels/cpu/x86/simd_avx512.h, simd_avx2.h) on every level this
// CPU runs: masked tails read zeros and never write past n lanes, and the
// arithmetic members compute what they say. A level the CPU lacks is reported.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cpu/x86/isa.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "kernels/cpu/x86/simd_target.h"

TANDEM_SIMD_BEGIN_AVX512
#include "kernels/cpu/x86/simd_avx512.h"
namespace simd_avx512 {
namespace {
using S = tandem::cpu::Avx512F32;
#include "tests/simd_exercise.h"
}  // namespace
}  // namespace simd_avx512
TANDEM_SIMD_END

TANDEM_SIMD_BEGIN_AVX2
#include "kernels/cpu/x86/simd_avx2.h"
namespace simd_avx2 {
namespace {
using S = tandem::cpu::Avx2F32;
#include "tests/simd_exercise.h"
}  // namespace
}  // namespace simd_avx2
TANDEM_SIMD_END

using namespace tandem::cpu;

namespace {

void check_level(void (*exercise)(const float*, int64_t, float*, float*, float*), int lanes) {
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i) x[size_t(i)] = float(i + 1);  // 1, 2, ..., 16
  for (int64_t n :
       {int64_t(0), int64_t(1), int64_t(lanes / 2), int64_t(lanes - 1), int64_t(lanes)}) {
    CAPTURE(n);
    std::vector<float> out(16, -7.0f), out2(16, -7.0f), misc(8, 0.0f);
    exercise(x.data(), n, out.data(), out2.data(), misc.data());
    for (int i = 0; i < lanes; ++i) {
      CAPTURE(i);
      CHECK(out[size_t(i)] == (i < n ? x[size_t(i)] : 0.0f));  // masked-off lanes read 0
      CHECK(out2[size_t(i)] == (i < n ? 2.0f * x[size_t(i)] + 2.0f : -7.0f));  // untouched
    }
    for (int i = lanes; i < 16; ++i) CHECK(out2[size_t(i)] == -7.0f);
    CHECK(misc[0] == float(lanes * (lanes + 1) / 2));
    CHECK(misc[1] == 2.0f);
    CHECK(misc[2] == 1.5f / 8);
    CHECK(misc[3] == 2.0f);
    CHECK(misc[4] == 5.0f);
    CHECK(misc[5] == 4.0f);
    CHECK(misc[6] == 1.0f);
    CHECK(misc[7] == float(lanes));
  }
}

}  // namespace

TEST_CASE("the SIMD layer's members on every level this CPU runs") {
  const CpuIsa have = cpu_isa_detected();
  if (have >= CpuIsa::kAvx512)
    check_level(simd_avx512::exercise, 16);
  else
    MESSAGE("skipped: this CPU has no AVX-512F, Avx512F32 is not tested here");
  if (have >= CpuIsa::kAvx2)
    check_level(simd_avx2::exercise, 8);
  else
    MESSAGE("skipped: this CPU has no AVX2+FMA, Avx2F32 is not tested here");
}

#else

TEST_CASE("the SIMD layer's members on every level this CPU runs") {
  MESSAGE("skipped: the x86 SIMD layer is x86-64 only");
}

#endif
