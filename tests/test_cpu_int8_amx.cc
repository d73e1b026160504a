// The AMX int8 GEMM (kernels/cpu/x86/qgemm_amx.h) called directly: every output
// against the scalar rules (qmath::requantize, qmath::add_values) for row counts,
// depths and column counts that leave every tile partial, full-range values, a fused
// QAdd and an activation clamp, 1 and 2 threads. Models on it: test_cpu_int8.
#include <doctest/doctest.h>

#include <pthreadpool.h>

#include <memory>
#include <random>

#include "graph/quant_math.h"
#include "kernels/cpu/x86/qgemm_amx.h"
#include "tests/skip.h"

using namespace tandem;

namespace {

// rows x k int8 A (rows of a_stride bytes) by m columns: the count of outputs that
// differ from the scalar rules.
int64_t wrong_outputs(int64_t rows, int64_t k, int64_t a_stride, int64_t m, bool residual,
                      int32_t lo, int32_t hi, pthreadpool_t pool) {
  std::mt19937 rng(uint32_t(rows * 31 + k));
  std::uniform_int_distribution<int> byte(-128, 127), bias(-5000, 5000);
  std::uniform_real_distribution<float> scale(0.0001f, 0.001f), factor(0.2f, 0.9f);
  std::vector<int8_t> a(size_t(rows * a_stride)), w(size_t(m * k)), r(size_t(rows * m));
  for (int8_t& v : a) v = int8_t(byte(rng));
  for (int8_t& v : w) v = int8_t(byte(rng));
  for (int8_t& v : r) v = int8_t(byte(rng));
  std::vector<int32_t> b(static_cast<size_t>(m));
  std::vector<float> mult(static_cast<size_t>(m));
  for (int64_t o = 0; o < m; ++o) b[size_t(o)] = bias(rng), mult[size_t(o)] = scale(rng);
  const int32_t zx = 23, zy = -9;
  cpu::QGemmAmxWeights pw = cpu::qgemm_amx_pack(w.data(), m, k, b.data(), zx, mult, zy, lo, hi);
  const qmath::AddFactors f{factor(rng), factor(rng), 5, -3, -11};
  if (residual) pw.residual = r.data(), pw.add = f;
  std::vector<int8_t> got(size_t(rows * m));
  cpu::qgemm_amx_run(pw, a.data(), a_stride, rows, got.data(), m, pool, 0);
  int64_t wrong = 0;
  for (int64_t p = 0; p < rows; ++p)
    for (int64_t o = 0; o < m; ++o) {
      int32_t acc = b[size_t(o)];
      for (int64_t i = 0; i < k; ++i)
        acc += (a[size_t(p * a_stride + i)] - zx) * w[size_t(o * k + i)];
      const int8_t q = qmath::requantize(acc, mult[size_t(o)], zy, lo, hi);
      const int8_t want = residual ? qmath::add_values(q, r[size_t(p * m + o)], f) : q;
      wrong += got[size_t(p * m + o)] != want;
    }
  return wrong;
}

}  // namespace

TEST_CASE("the AMX GEMM called directly equals the scalar rules") {
  if (!test::skip_unless(cpu::qgemm_amx_available(), "this CPU (or OS) gives no AMX-INT8")) return;
  std::unique_ptr<pthreadpool, decltype(&pthreadpool_destroy)> pool(pthreadpool_create(2),
                                                                    pthreadpool_destroy);
  // 301 rows: two 128-row tasks and a 45-row one (a partial 32-row pair, a partial
  // 16-row tile); k = 200: three full tiles of 64 and one of 8; m = 500: four column
  // groups, the last ending in a single block of 4 columns.
  CHECK(wrong_outputs(301, 200, 200, 500, true, -128, 127, pool.get()) == 0);
  CHECK(wrong_outputs(301, 200, 200, 500, false, -20, 100, nullptr) == 0);
  // A rows with a stride (a channel slice), k = 64 exactly, m = 24 (a pair, 8 in the
  // second block), one row.
  CHECK(wrong_outputs(1, 64, 96, 24, false, -128, 127, nullptr) == 0);
  CHECK(wrong_outputs(130, 64, 96, 24, true, -128, 127, pool.get()) == 0);
  // Deep: k = 4608 (3x3 x 512), 40 rows.
  CHECK(wrong_outputs(40, 4608, 4608, 40, false, -128, 127, pool.get()) == 0);
}
