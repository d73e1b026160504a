// The exact int8 Winograd F(2x2, 3x3) for AVX2 (kernels/cpu/x86/qwinograd_avx2.h):
// bit-identical to the reference int8 conv on models (tile, channel and column
// tails, pads, batch, a fused QAdd, 1 and 2 threads), and called directly at the
// extremes its int32 sums are argued to hold (C = 1024, every value at its limit).
#include <doctest/doctest.h>

#include <pthreadpool.h>

#include <cstring>
#include <memory>
#include <random>

#include "graph/quant_math.h"
#include "kernels/cpu/x86/qgemm_avx2.h"
#include "kernels/cpu/x86/qwinograd_avx2.h"
#include "kernels/reference/reference_kernels.h"
#include "tests/cpu_compare.h"
#include "tests/onnx_convert_helpers.h"
#include "tests/qdq_builder.h"
#include "tests/skip.h"

using namespace tandem;
using namespace tandem::test;

namespace {

// Batch 2 of a 20-channel 11x9 input (tiles that leave the output on both axes)
// through 3x3 stride-1 convs: 20 -> 24 (pads 1; a 4-channel C tail, one block and a
// half), 24 -> 40 unpadded (9x7), 40 -> 40 whose QAdd with an earlier conv is fused
// (pads 1), 40 -> 136 (two column groups, a single-block tail), 136 -> 10 (an 8-lane
// C tail, a 2-column block).
Graph winograd_model() {
  QdqBuilder q;
  q.b.input("x", {2, 20, 11, 9});
  const std::string x = q.qdq("x", 0.03f, -6);
  const std::string c1 = q.qdq(q.conv("c1", x, 0.03f, 20, 24, 3, 1), 0.05f, 3);
  const std::string c2 = q.qdq(q.conv("c2", c1, 0.05f, 24, 40, 3, 1, 1, 1, 0), 0.06f, -2);
  const std::string c3 = q.qdq(q.conv("c3", c2, 0.06f, 40, 40, 3, 1), 0.07f, 8);
  q.b.node("Add", {c2, c3}, {"sum"}, "add");
  const std::string s = q.qdq("sum", 0.09f, -11);
  const std::string c4 = q.qdq(q.conv("c4", s, 0.09f, 40, 136, 3, 1), 0.05f, 1);
  const std::string c5 = q.qdq(q.conv("c5", c4, 0.05f, 136, 10, 3, 1), 0.08f, -4);
  q.b.node("Identity", {c5}, {"y"});
  q.b.output("y");
  ConvertOptions o;
  o.evaluate_constants = run_reference_node;
  return convert_ok(q.b, "cpu_int8_winograd.onnx", o);
}

}  // namespace

TEST_CASE("int8 Winograd at isa=avx2: every 3x3 stride-1 conv, bytes equal to the reference") {
  if (!test::skip_unless(cpu::qgemm_avx2_available(), "this CPU has no AVX2+FMA")) return;
  Graph g = winograd_model();
  const std::vector<float> ref = run_whole(g, "reference", nullptr);
  for (const char* spec :
       {"cpu:threads=1,isa=avx2,winograd=on", "cpu:threads=2,isa=avx2,winograd=on",
        "cpu:threads=1,isa=avx2,winograd=on,residual=separate"}) {
    INFO(spec);
    std::vector<std::string> kinds;
    const std::vector<float> got = run_whole(g, spec, &kinds);
    CHECK(cpu_test::count_kind(kinds, "qwinograd_avx2") == 5);
    CHECK(cpu_test::count_kind(kinds, "qconv_avx2") == 0);
    const bool fused = std::string(spec).find("separate") == std::string::npos;
    CHECK(cpu_test::count_kind(kinds, "fused") == (fused ? 1 : 0));
    REQUIRE(got.size() == ref.size());
    CHECK(std::memcmp(got.data(), ref.data(), ref.size() * sizeof(float)) == 0);
  }
  // winograd=off: the patch GEMM again; auto: outputs of 99 and 63 pixels, C < 512,
  // where the patch GEMM measured faster.
  for (const char* spec : {"cpu:threads=1,isa=avx2,winograd=off", "cpu:threads=1,isa=avx2"}) {
    INFO(spec);
    std::vector<std::string> kinds;
    const std::vector<float> got = run_whole(g, spec, &kinds);
    CHECK(cpu_test::count_kind(kinds, "qwinograd_avx2") == 0);
    CHECK(cpu_test::count_kind(kinds, "qconv_avx2") == 5);
    CHECK(std::memcmp(got.data(), ref.data(), ref.size() * sizeof(float)) == 0);
  }
}

namespace {

// qwinograd_avx2_run against the scalar conv and qmath's rules: n x h x w x c input,
// m outputs, pads pt/pl (bottom/right as needed for a "same" output), values drawn by
// `draw` (extremes when asked), optional fused QAdd. Returns the wrong outputs.
int64_t direct_wrong(int64_t n, int64_t h, int64_t w, int64_t c, int64_t m, int64_t pad,
                     bool extremes, bool residual, pthreadpool_t pool) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> byte(-128, 127), bias(-5000, 5000), coin(0, 1);
  // Multipliers that keep the outputs off the clamp (|acc| up to ~3e8 at the extremes).
  std::uniform_real_distribution<float> scale(extremes ? 2e-7f : 0.0005f,
                                              extremes ? 4e-7f : 0.003f),
      factor(0.2f, 0.9f);
  const int64_t oh = h + 2 * pad - 2, ow = w + 2 * pad - 2;
  std::vector<int8_t> x(size_t(n * h * w * c)), wt(size_t(m * c * 9));
  std::vector<int8_t> r(size_t(n * oh * ow * m));
  // Extremes: x at 127 over zx = -128 (x - zx = 255) and weights at -128 or 127 in one
  // sign per output channel: the largest |sum| the int32 arithmetic must hold.
  for (int8_t& v : x) v = extremes ? int8_t(127) : int8_t(byte(rng));
  for (int64_t o = 0; o < m; ++o)
    for (int64_t i = 0; i < c * 9; ++i)
      wt[size_t(o * c * 9 + i)] = extremes ? int8_t(o % 2 ? 127 : -128) : int8_t(byte(rng));
  for (int8_t& v : r) v = int8_t(byte(rng));
  std::vector<int32_t> b(static_cast<size_t>(m));
  std::vector<float> mult(static_cast<size_t>(m));
  for (int64_t o = 0; o < m; ++o) b[size_t(o)] = bias(rng), mult[size_t(o)] = scale(rng);
  const int32_t zx = extremes ? -128 : 13, zy = -7;
  cpu::QGemmAvx2Weights pw =
      cpu::qwinograd_avx2_pack(wt.data(), m, c, b.data(), zx, mult, zy, -128, 127);
  const qmath::AddFactors f{factor(rng), factor(rng), 5, -3, -11};
  if (residual) pw.residual = r.data(), pw.add = f;
  const cpu::QWinogradAvx2Geometry geo{n, h, w, c, oh, ow, pad, pad};
  std::vector<int8_t> got(size_t(n * oh * ow * m));
  cpu::qwinograd_avx2_run(pw, geo, x.data(), got.data(), pool, 0);
  int64_t wrong = 0;
  for (int64_t img = 0; img < n; ++img)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox)
        for (int64_t o = 0; o < m; ++o) {
          int64_t acc = b[size_t(o)];
          for (int64_t ky = 0; ky < 3; ++ky)
            for (int64_t kx = 0; kx < 3; ++kx) {
              const int64_t iy = oy + ky - pad, ix = ox + kx - pad;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const int8_t* xp = x.data() + ((img * h + iy) * w + ix) * c;
              for (int64_t ci = 0; ci < c; ++ci)
                acc += (xp[ci] - zx) * wt[size_t(((o * c + ci) * 3 + ky) * 3 + kx)];
            }
          const int64_t p = (img * oh + oy) * ow + ox;
          const int8_t q = qmath::requantize(int32_t(acc), mult[size_t(o)], zy, -128, 127);
          const int8_t want = residual ? qmath::add_values(q, r[size_t(p * m + o)], f) : q;
          wrong += got[size_t(p * m + o)] != want;
        }
  return wrong;
}

}  // namespace

TEST_CASE("int8 Winograd called directly equals the scalar conv, up to C = 1024 at the limits") {
  if (!test::skip_unless(cpu::qgemm_avx2_available(), "this CPU has no AVX2+FMA")) return;
  std::unique_ptr<pthreadpool, decltype(&pthreadpool_destroy)> pool(pthreadpool_create(2),
                                                                    pthreadpool_destroy);
  // C = 1024 with every product at its largest: |4 * conv| ~ 1.2e9, inside int32.
  CHECK(direct_wrong(1, 6, 5, cpu::kQWinogradAvx2MaxC, 16, 1, true, false, pool.get()) == 0);
  // Random values: C tails (9, 33), odd sizes, unpadded, batches, a fused QAdd.
  CHECK(direct_wrong(2, 7, 9, 9, 13, 1, false, true, pool.get()) == 0);
  CHECK(direct_wrong(1, 13, 6, 33, 30, 0, false, false, nullptr) == 0);
  CHECK(direct_wrong(3, 5, 5, 64, 264, 1, false, true, pool.get()) == 0);
}
