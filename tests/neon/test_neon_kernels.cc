// NEON kernels vs a naive double-precision oracle on unpacked operands (so packing is tested
// too), and the scalar twins vs the same oracle. Cross-compiled and run under qemu-aarch64 by
// scripts/test_neon_qemu.sh; self-contained (no engine, no XNNPACK).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/cpu/neon/neon_kernels.h"

namespace nk = tandem::neon;

namespace {

constexpr double kTol = 1e-5;
constexpr float kSentinel = 12345.0f;  // marks floats a kernel must not write

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = static_cast<float>((s >> 40) & 0xFFFFFF) / 16777216.0f * 2.0f - 1.0f;
  }
  return v;
}

// max |got - want| / max |want| over the listed indices; 0 when both are zero.
double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  double diff = 0, ref = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(got[i]) - want[i]));
    ref = std::max(ref, std::fabs(static_cast<double>(want[i])));
  }
  if (ref == 0) return diff;
  return diff / ref;
}

struct GemmCase {
  int m, n, k;
  int lda_pad = 0, ldc_pad = 0;
  bool bias = true, clamp = false, kn = false, workspace = true;
};

// Runs one GEMM case on NEON and scalar kernels; checks values and untouched padding.
void check_gemm(const GemmCase& g, uint32_t seed) {
  CAPTURE(g.m);
  CAPTURE(g.n);
  CAPTURE(g.k);
  CAPTURE(g.lda_pad);
  CAPTURE(g.ldc_pad);
  CAPTURE(g.kn);
  const int lda = g.k + g.lda_pad, ldc = g.n + g.ldc_pad;
  const auto a = random_floats(static_cast<size_t>(g.m) * lda, seed);
  const auto w = random_floats(static_cast<size_t>(g.n) * g.k, seed + 1);  // [n][k] or [k][n]
  const auto bias = random_floats(g.n, seed + 2);
  const float lo = g.clamp ? -0.25f * std::sqrt(static_cast<float>(g.k)) : -INFINITY;
  const float hi = g.clamp ? 0.25f * std::sqrt(static_cast<float>(g.k)) : INFINITY;

  std::vector<float> want(static_cast<size_t>(g.m) * g.n);
  for (int i = 0; i < g.m; ++i) {
    for (int j = 0; j < g.n; ++j) {
      double acc = g.bias ? bias[j] : 0.0;
      for (int kk = 0; kk < g.k; ++kk) {
        const float wv =
            g.kn ? w[static_cast<size_t>(kk) * g.n + j] : w[static_cast<size_t>(j) * g.k + kk];
        acc += static_cast<double>(a[static_cast<size_t>(i) * lda + kk]) * wv;
      }
      want[static_cast<size_t>(i) * g.n + j] =
          static_cast<float>(std::min<double>(std::max<double>(acc, lo), hi));
    }
  }

  std::vector<float> packed(nk::gemm_f32_packed_b_size(g.n, g.k) + 1, kSentinel);
  if (g.kn)
    nk::gemm_f32_pack_b_kn(g.n, g.k, w.data(), g.n, packed.data());
  else
    nk::gemm_f32_pack_b_nk(g.n, g.k, w.data(), g.k, packed.data());
  CHECK(packed.back() == kSentinel);  // packing stays inside its advertised size

  std::vector<float> ws(nk::gemm_f32_workspace_size());
  for (int impl = 0; impl < 2; ++impl) {
    CAPTURE(impl);
    std::vector<float> c(static_cast<size_t>(g.m) * ldc, kSentinel);
    const float* b = g.bias ? bias.data() : nullptr;
    if (impl == 0) {
      nk::gemm_f32_neon(g.m, g.n, g.k, a.data(), lda, packed.data(), c.data(), ldc, b, lo, hi,
                        g.workspace ? ws.data() : nullptr);
    } else {
      nk::gemm_f32_scalar(g.m, g.n, g.k, a.data(), lda, packed.data(), c.data(), ldc, b, lo, hi);
    }
    std::vector<float> got(want.size());
    bool pad_ok = true;
    for (int i = 0; i < g.m; ++i) {
      for (int j = 0; j < ldc; ++j) {
        const float v = c[static_cast<size_t>(i) * ldc + j];
        if (j < g.n)
          got[static_cast<size_t>(i) * g.n + j] = v;
        else
          pad_ok = pad_ok && v == kSentinel;
      }
    }
    CHECK(pad_ok);
    CHECK(relative_error(got, want) <= kTol);
  }
}

}  // namespace

TEST_CASE("gemm_f32_neon matches the oracle on odd shapes and tails") {
  const int ms[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 17};
  const int ns[] = {1, 3, 7, 8, 9, 16, 17, 25};
  const int ks[] = {1, 3, 4, 5, 8, 17, 63};
  uint32_t seed = 1;
  for (int m : ms)
    for (int n : ns)
      for (int k : ks) check_gemm({m, n, k}, seed++);
}

TEST_CASE("gemm_f32_neon handles strides, bias, clamp, both weight layouts") {
  uint32_t seed = 1000;
  for (int kn = 0; kn < 2; ++kn) {
    for (int clamp = 0; clamp < 2; ++clamp) {
      for (int bias = 0; bias < 2; ++bias) {
        GemmCase g{13, 21, 37, 5, 3};
        g.kn = kn;
        g.clamp = clamp;
        g.bias = bias;
        check_gemm(g, seed++);
        g.workspace = false;
        check_gemm(g, seed++);
      }
    }
  }
}

TEST_CASE("gemm_f32_neon crosses K and M cache blocks") {
  // K around kGemmKc (partial sums through C), M past kGemmMc (several packed A blocks).
  check_gemm({9, 17, nk::kGemmKc - 1}, 2000);
  check_gemm({9, 17, nk::kGemmKc}, 2001);
  check_gemm({9, 17, nk::kGemmKc + 1}, 2002);
  GemmCase clamped{5, 11, 2 * nk::kGemmKc + 3, 2, 1};
  clamped.clamp = true;  // clamp only after the last K block
  check_gemm(clamped, 2003);
  check_gemm({nk::kGemmMc + 13, 24, 40, 0, 8}, 2004);
  // Real layer shapes: a MobileNetV2 1x1 at 14x14 and a batch-1 fully connected layer.
  check_gemm({196, 64, 384}, 2005);
  check_gemm({1, 1000, 1280}, 2006);
  check_gemm({1, 40, 3 * nk::kGemmKc + 5, 0, 4}, 2007);  // one row: unblocked K
}

TEST_CASE("gemm_f32_neon on column panels equals one call (how threads split FC layers)") {
  for (int m : {1, 5, 11}) {
    CAPTURE(m);
    const int n = 29, k = 70;
    const auto a = random_floats(static_cast<size_t>(m) * k, 3000 + m);
    const auto w = random_floats(static_cast<size_t>(n) * k, 3100 + m);
    const auto bias = random_floats(n, 3200 + m);
    std::vector<float> packed(nk::gemm_f32_packed_b_size(n, k));
    nk::gemm_f32_pack_b_nk(n, k, w.data(), k, packed.data());
    std::vector<float> whole(static_cast<size_t>(m) * n), split(whole.size());
    nk::gemm_f32_neon(m, n, k, a.data(), k, packed.data(), whole.data(), n, bias.data(), -1.0f,
                      1.0f);
    const int cut = 2 * nk::kGemmNr;
    nk::gemm_f32_neon(m, cut, k, a.data(), k, packed.data(), split.data(), n, bias.data(), -1.0f,
                      1.0f);
    nk::gemm_f32_neon(m, n - cut, k, a.data(), k, packed.data() + static_cast<size_t>(cut) * k,
                      split.data() + cut, n, bias.data() + cut, -1.0f, 1.0f);
    CHECK(split == whole);
  }
}

TEST_CASE("gemm_f32_neon with K = 0 writes the clamped bias") {
  const float bias[3] = {-2.0f, 0.5f, 3.0f};
  float c[6];
  nk::gemm_f32_neon(2, 3, 0, nullptr, 0, nullptr, c, 3, bias, -1.0f, 1.0f);
  const float want[6] = {-1.0f, 0.5f, 1.0f, -1.0f, 0.5f, 1.0f};
  for (int i = 0; i < 6; ++i) CHECK(c[i] == want[i]);
}

namespace {

struct DwCase {
  int batch, h, w, c, stride;
  int pt, pl, pb, pr;
  int ips_pad = 0, ops_pad = 0;
  bool clamp = false;
};

void check_dwconv(const DwCase& d, uint32_t seed) {
  CAPTURE(d.batch);
  CAPTURE(d.h);
  CAPTURE(d.w);
  CAPTURE(d.c);
  CAPTURE(d.stride);
  CAPTURE(d.pt);
  CAPTURE(d.pl);
  CAPTURE(d.pb);
  CAPTURE(d.pr);
  CAPTURE(d.ips_pad);
  CAPTURE(d.ops_pad);
  nk::DwConv3x3Params p;
  p.batch = d.batch;
  p.in_h = d.h;
  p.in_w = d.w;
  p.channels = d.c;
  p.stride = d.stride;
  p.pad_top = d.pt;
  p.pad_left = d.pl;
  p.pad_bottom = d.pb;
  p.pad_right = d.pr;
  const int ips = d.c + d.ips_pad, ops = d.c + d.ops_pad;
  p.in_pixel_stride = d.ips_pad ? ips : 0;
  p.out_pixel_stride = d.ops_pad ? ops : 0;
  if (d.clamp) {
    p.out_min = -0.5f;
    p.out_max = 0.75f;
  }
  const int oh = (d.h + d.pt + d.pb - 3) / d.stride + 1;
  const int ow = (d.w + d.pl + d.pr - 3) / d.stride + 1;
  REQUIRE(nk::dwconv_f32_3x3_out_h(p) == oh);
  REQUIRE(nk::dwconv_f32_3x3_out_w(p) == ow);

  const auto in = random_floats(static_cast<size_t>(d.batch) * d.h * d.w * ips, seed);
  const auto wt = random_floats(static_cast<size_t>(d.c) * 9, seed + 1);  // ONNX [c][1][3][3]
  const auto bias = random_floats(d.c, seed + 2);

  std::vector<float> want(static_cast<size_t>(d.batch) * oh * ow * d.c);
  for (int b = 0; b < d.batch; ++b)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int c = 0; c < d.c; ++c) {
          double acc = bias[c];
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = oy * d.stride - d.pt + ky, ix = ox * d.stride - d.pl + kx;
              if (iy < 0 || iy >= d.h || ix < 0 || ix >= d.w) continue;
              acc += static_cast<double>(
                         in[((static_cast<size_t>(b) * d.h + iy) * d.w + ix) * ips + c]) *
                     wt[c * 9 + ky * 3 + kx];
            }
          want[((static_cast<size_t>(b) * oh + oy) * ow + ox) * d.c + c] =
              static_cast<float>(std::min<double>(std::max<double>(acc, p.out_min), p.out_max));
        }

  std::vector<float> packed(nk::dwconv_f32_3x3_packed_size(d.c) + 1, kSentinel);
  nk::dwconv_f32_3x3_pack(d.c, wt.data(), bias.data(), packed.data());
  CHECK(packed.back() == kSentinel);

  for (int impl = 0; impl < 2; ++impl) {
    CAPTURE(impl);
    std::vector<float> out(static_cast<size_t>(d.batch) * oh * ow * ops, kSentinel);
    const bool ok = impl == 0 ? nk::dwconv_f32_3x3_neon_c8(p, in.data(), packed.data(), out.data())
                              : nk::dwconv_f32_3x3_scalar(p, in.data(), packed.data(), out.data());
    REQUIRE(ok);
    std::vector<float> got(want.size());
    bool pad_ok = true;
    for (size_t px = 0; px < static_cast<size_t>(d.batch) * oh * ow; ++px)
      for (int c = 0; c < ops; ++c) {
        if (c < d.c)
          got[px * d.c + c] = out[px * ops + c];
        else
          pad_ok = pad_ok && out[px * ops + c] == kSentinel;
      }
    CHECK(pad_ok);
    CHECK(relative_error(got, want) <= kTol);
  }
}

}  // namespace

TEST_CASE("dwconv_f32_3x3_neon_c8 matches the oracle: sizes, channels, strides, padding") {
  const int sizes[][2] = {{1, 1}, {1, 4}, {2, 2}, {3, 3}, {4, 7}, {5, 5}, {8, 6}, {13, 11}};
  const int channels[] = {1, 3, 4, 5, 8, 9, 12, 16, 19, 33};
  const int pads[][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 0, 1, 1}, {1, 0, 0, 2}, {2, 2, 2, 2}};
  uint32_t seed = 5000;
  for (const auto& s : sizes)
    for (int c : channels)
      for (int stride = 1; stride <= 2; ++stride)
        for (const auto& pd : pads) {
          if (s[0] + pd[0] + pd[2] < 3 || s[1] + pd[1] + pd[3] < 3) continue;  // no output
          check_dwconv({1, s[0], s[1], c, stride, pd[0], pd[1], pd[2], pd[3]}, seed++);
        }
}

TEST_CASE("dwconv_f32_3x3_neon_c8 handles batch, pixel strides and clamp") {
  uint32_t seed = 9000;
  for (int stride = 1; stride <= 2; ++stride) {
    check_dwconv({2, 7, 9, 21, stride, 1, 1, 1, 1, 3, 5, true}, seed++);
    check_dwconv({3, 6, 5, 8, stride, 0, 1, 1, 0, 8, 0, true}, seed++);
    check_dwconv({1, 10, 10, 13, stride, 1, 1, 1, 1, 0, 7, false}, seed++);
  }
  // MobileNetV2 shapes: 14x14x96 stride 1 and 28x28x144 stride 2 ("same" padding).
  check_dwconv({1, 14, 14, 96, 1, 1, 1, 1, 1}, seed++);
  check_dwconv({1, 28, 28, 144, 2, 0, 0, 1, 1, 0, 0, true}, seed++);
}

TEST_CASE("dwconv_f32_3x3 rejects invalid params without writing") {
  nk::DwConv3x3Params p;
  p.in_h = p.in_w = 4;
  p.channels = 4;
  float packed[40] = {};
  float in[64] = {};
  float out[64];
  std::fill(out, out + 64, kSentinel);
  p.stride = 3;
  CHECK_FALSE(nk::dwconv_f32_3x3_neon_c8(p, in, packed, out));
  CHECK_FALSE(nk::dwconv_f32_3x3_scalar(p, in, packed, out));
  p.stride = 1;
  p.in_h = 2;  // 2 rows, no padding: no output row
  CHECK_FALSE(nk::dwconv_f32_3x3_neon_c8(p, in, packed, out));
  p.in_h = 4;
  p.pad_left = -1;
  CHECK_FALSE(nk::dwconv_f32_3x3_neon_c8(p, in, packed, out));
  CHECK(std::all_of(out, out + 64, [](float v) { return v == kSentinel; }));
}

namespace {

struct QGemmCase {
  int m, n, k, lda_pad = 0, ldc_pad = 0;
  int lo = -128, hi = 127;
};

// The reference's rule on unpacked operands: exact sums, float(acc) * M, clamp, round
// half to even, + zy.
int8_t requantize(int64_t acc, float mult, int zy, int lo, int hi) {
  float f = static_cast<float>(acc) * mult;
  f = std::min(std::max(f, float(lo - zy)), float(hi - zy));
  return static_cast<int8_t>(std::nearbyint(f) + zy);
}

// One int8 GEMM case: the NEON kernel (where the CPU, or qemu, has SDOT) and the scalar
// twin against the oracle, every output byte, and the row padding of C untouched.
void check_qgemm(const QGemmCase& g, uint32_t seed) {
  CAPTURE(g.m);
  CAPTURE(g.n);
  CAPTURE(g.k);
  const int lda = g.k + g.lda_pad, ldc = g.n + g.ldc_pad;
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 3;
  auto next = [&s] {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<int>((s >> 33) & 0xFF) - 128;
  };
  std::vector<int8_t> a(static_cast<size_t>(g.m) * lda), w(static_cast<size_t>(g.n) * g.k);
  for (auto& v : a) v = static_cast<int8_t>(next());
  for (auto& v : w) v = static_cast<int8_t>(next());
  const int np = (g.n + nk::kQGemmNr - 1) / nk::kQGemmNr * nk::kQGemmNr;
  std::vector<int32_t> bias(g.n), folded(np);
  std::vector<float> mult(np, 0.0f);
  for (int j = 0; j < g.n; ++j) {
    bias[j] = next() * 40;
    mult[j] = 0.0004f + 0.00001f * static_cast<float>(next() + 128);
  }
  const int zx = 9;
  std::vector<int8_t> packed(nk::qgemm_s8_packed_size(g.n, g.k));
  nk::qgemm_s8_pack(g.n, g.k, w.data(), bias.data(), zx, packed.data(), folded.data());
  nk::QGemmS8Epilogue e;
  e.bias = folded.data(), e.multiplier = mult.data(), e.zy = -5, e.lo = g.lo, e.hi = g.hi;
  std::vector<int8_t> want(static_cast<size_t>(g.m) * ldc, 77);
  for (int i = 0; i < g.m; ++i)
    for (int j = 0; j < g.n; ++j) {
      int64_t acc = bias[j];
      for (int kk = 0; kk < g.k; ++kk)
        acc += (int64_t(a[static_cast<size_t>(i) * lda + kk]) - zx) *
               w[static_cast<size_t>(j) * g.k + kk];
      want[static_cast<size_t>(i) * ldc + j] = requantize(acc, mult[j], e.zy, e.lo, e.hi);
    }
  std::vector<int8_t> got(want.size(), 77);
  nk::qgemm_s8_scalar(g.m, g.n, g.k, a.data(), lda, packed.data(), got.data(), ldc, e);
  CHECK(got == want);
#if defined(__aarch64__)
  REQUIRE(nk::qgemm_s8_neon_available());  // qemu's default cpu has SDOT
  std::fill(got.begin(), got.end(), int8_t(77));
  nk::qgemm_s8_neon(g.m, g.n, g.k, a.data(), lda, packed.data(), got.data(), ldc, e);
  CHECK(got == want);
#endif
}

}  // namespace

TEST_CASE("qgemm_s8_neon equals the reference rounding on odd shapes, tails and strides") {
  // K: below one group, a tail group, exact groups, deep; N: below a panel, panel tails;
  // M: below a tile, tile tails.
  uint32_t seed = 1;
  for (int k : {1, 3, 4, 17, 64, 200})
    for (int n : {1, 5, 16, 33})
      for (int m : {1, 3, 4, 7, 13}) check_qgemm({m, n, k}, seed++);
  check_qgemm({9, 40, 37, 11, 5}, seed++);           // A and C row strides (channel slices)
  check_qgemm({8, 24, 64, 0, 0, -128, 40}, seed++);  // an activation clamp (Relu6-like)
  check_qgemm({6, 20, 512, 0, 0, -5, 127}, seed++);  // a Relu clamp at the zero point
}

TEST_CASE("selection hooks follow the documented candidate rules") {
  nk::DwConv3x3Params p;
  p.in_h = p.in_w = 14;
  p.channels = 96;
  p.stride = 1;
#if defined(__aarch64__)
  CHECK_FALSE(nk::neon_prefer_gemm(3136, 64, 64));  // auto: XNNPACK until measured
  CHECK(nk::neon_prefer_gemm(3136, 64, 64, nk::NeonChoice::kAlways));
  CHECK(nk::neon_prefer_dwconv3x3(p));
  CHECK_FALSE(nk::neon_prefer_dwconv3x3(p, nk::NeonChoice::kNever));
  p.in_w = 1000;  // three rows of 1000 x 96 floats exceed 256 KiB
  CHECK_FALSE(nk::neon_prefer_dwconv3x3(p));
  p.in_w = 14;
  p.channels = 12;
  CHECK_FALSE(nk::neon_prefer_dwconv3x3(p));
  CHECK(nk::neon_prefer_dwconv3x3(p, nk::NeonChoice::kAlways));
  p.stride = 3;
  CHECK_FALSE(nk::neon_prefer_dwconv3x3(p, nk::NeonChoice::kAlways));
#else
  CHECK_FALSE(nk::neon_prefer_gemm(1, 1000, 1280, nk::NeonChoice::kAlways));
  CHECK_FALSE(nk::neon_prefer_dwconv3x3(p, nk::NeonChoice::kAlways));
#endif
}
