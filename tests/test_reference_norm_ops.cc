// Reference kernels of the ops ConvNeXt and ViT need (Pow, Sqrt, Gelu,
// LayerNormalization) against values worked out by hand or from std:: math,
// and their shape-inference errors.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "graph/shape_inference.h"
#include "kernels/reference/reference_kernels.h"
#include "tests/helpers.h"

using namespace tandem;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

struct Run {
  Status status;
  std::vector<float> out;
};

// One-node graph over inputs {shape, values} (constants when `constant`), run
// on the reference; the output starts as NaN so a forgotten element shows.
Run run(OpType op, const std::vector<std::pair<Shape, std::vector<float>>>& inputs,
        NodeAttrs attrs = {}, bool constant_rest = true) {
  Graph g;
  std::vector<int> ids;
  std::vector<const float*> ptrs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string name = "in" + std::to_string(i);
    ids.push_back(i == 0 || !constant_rest
                      ? test::add_input(g, name, inputs[i].first)
                      : g.add_constant(name, inputs[i].first, inputs[i].second));
    ptrs.push_back(inputs[i].second.data());
  }
  int y = test::add_simple_node(g, op, "k", ids, std::move(attrs));
  Run r;
  r.status = infer_shapes(g);
  if (!r.status.ok()) return r;
  r.out.assign(size_t(shape_elements(g.tensor(y).shape)), NAN);
  float* outs[] = {r.out.data()};
  r.status = run_reference_node(g, g.nodes[0], ptrs.data(), outs);
  return r;
}

NodeAttrs ln_attrs(std::vector<int64_t> axes, float eps = 0.0f) {
  NodeAttrs a;
  a.axes = std::move(axes);
  a.epsilon = eps;
  return a;
}

}  // namespace

TEST_CASE("Pow broadcasts; exponent 2 is the exact square, others are std::pow") {
  const std::vector<float> x = {-3, -0.5f, 0, 1.5f, 2, 1e20f};
  Run sq = run(OpType::kPow, {{{2, 3}, x}, {{}, {2.0f}}});
  REQUIRE_MESSAGE(sq.status.ok(), sq.status.to_string());
  for (size_t i = 0; i < x.size(); ++i) CHECK(sq.out[i] == x[i] * x[i]);
  CHECK(sq.out[5] == kInf);                          // 1e40 overflows float, as pow does
  const std::vector<float> p = {0.5f, 3.0f, -1.0f};  // per column
  Run col = run(OpType::kPow, {{{2, 3}, {4, 2, 4, 9, -2, 0.5f}}, {{3}, p}});
  REQUIRE(col.status.ok());
  CHECK(col.out == std::vector<float>{2, 8, 0.25f, 3, -8, 2});
  // pow(x, 0.5) is not sqrt at -0 and -inf.
  Run half = run(OpType::kPow, {{{3}, {-0.0f, -kInf, -1}}, {{1}, {0.5f}}});
  REQUIRE(half.status.ok());
  CHECK(half.out[0] == std::pow(-0.0f, 0.5f));
  CHECK_FALSE(std::signbit(half.out[0]));
  CHECK(half.out[1] == kInf);
  CHECK(std::isnan(half.out[2]));
  CHECK_FALSE(run(OpType::kPow, {{{2, 3}, x}, {{2}, {1, 2}}}).status.ok());  // no broadcast
}

TEST_CASE("Sqrt is std::sqrt per element") {
  Run r = run(OpType::kSqrt, {{{5}, {0, 2.25f, 1e-6f, -1, kInf}}});
  REQUIRE(r.status.ok());
  CHECK(r.out[0] == 0.0f);
  CHECK(r.out[1] == 1.5f);
  CHECK(r.out[2] == std::sqrt(1e-6f));
  CHECK(std::isnan(r.out[3]));
  CHECK(r.out[4] == kInf);
}

TEST_CASE("Gelu: the erf form and the tanh approximation") {
  // Phi(1) = 0.8413447461, Phi(-1) = 0.1586552539 (normal CDF tables).
  const std::vector<float> x = {-1, 0, 1, 3, -6};
  Run e = run(OpType::kGelu, {{{5}, x}});
  REQUIRE(e.status.ok());
  CHECK(e.out[0] == doctest::Approx(-0.1586552539).epsilon(1e-7));
  CHECK(e.out[1] == 0.0f);
  CHECK(e.out[2] == doctest::Approx(0.8413447461).epsilon(1e-7));
  CHECK(e.out[3] == doctest::Approx(3 * 0.9986501020).epsilon(1e-7));
  CHECK(e.out[4] == doctest::Approx(-6 * 9.8658765e-10).epsilon(1e-5));  // the tail keeps sign
  NodeAttrs t;
  t.gelu_approximate = GeluApproximate::kTanh;
  Run th = run(OpType::kGelu, {{{5}, x}}, t);
  REQUIRE(th.status.ok());
  // 0.5 (1 + tanh(0.7978845608 * 1.044715)) = 0.8411919906.
  CHECK(th.out[2] == doctest::Approx(0.8411919906).epsilon(1e-7));
  CHECK(th.out[0] == doctest::Approx(-(1 - 0.8411919906)).epsilon(1e-6));
  NodeAttrs bad;
  bad.gelu_approximate = static_cast<GeluApproximate>(7);
  CHECK_FALSE(run(OpType::kGelu, {{{5}, x}}, bad).status.ok());
}

TEST_CASE("LayerNormalization over the last axis and over channels") {
  // Rows {1, 2, 3, 4} and {2, 2, 2, 6}: means 2.5 and 3, variances 1.25 and 3.
  const std::vector<float> x = {1, 2, 3, 4, 2, 2, 2, 6};
  Run last = run(OpType::kLayerNormalization,
                 {{{2, 4}, x}, {{4}, {1, 1, 2, 1}}, {{4}, {0, 0, 0, 10}}}, ln_attrs({1}));
  REQUIRE_MESSAGE(last.status.ok(), last.status.to_string());
  const float r1 = 1 / std::sqrt(1.25f), r2 = 1 / std::sqrt(3.0f);
  const std::vector<float> want = {-1.5f * r1, -0.5f * r1, 2 * 0.5f * r1, 1.5f * r1 + 10,
                                   -r2,        -r2,        -2 * r2,       3 * r2 + 10};
  for (size_t i = 0; i < want.size(); ++i) CHECK(last.out[i] == doctest::Approx(want[i]));
  // NCHW [1, 4, 1, 2] over C: the same numbers, pixel by pixel, scale as [4, 1, 1].
  std::vector<float> nchw(8);
  for (int c = 0; c < 4; ++c)
    for (int p = 0; p < 2; ++p) nchw[size_t(c * 2 + p)] = x[size_t(p * 4 + c)];
  Run ch = run(OpType::kLayerNormalization,
               {{{1, 4, 1, 2}, nchw}, {{4, 1, 1}, {1, 1, 2, 1}}, {{4, 1, 1}, {0, 0, 0, 10}}},
               ln_attrs({1}));
  REQUIRE(ch.status.ok());
  for (int c = 0; c < 4; ++c)
    for (int p = 0; p < 2; ++p)
      CHECK(ch.out[size_t(c * 2 + p)] == doctest::Approx(want[size_t(p * 4 + c)]));
  // No bias, epsilon counts, two axes normalise [2, 2] blocks.
  Run two = run(OpType::kLayerNormalization, {{{2, 2, 2}, x}, {{2, 2}, {1, 1, 1, 1}}},
                ln_attrs({1, 2}, 0.75f));
  REQUIRE(two.status.ok());
  CHECK(two.out[0] == doctest::Approx(-1.5f / std::sqrt(2.0f)));
}

TEST_CASE("LayerNormalization: bad axes or parameter sizes are errors naming the node") {
  const std::vector<float> x(24, 1.0f);
  auto err = [&](NodeAttrs a, Shape scale) {
    std::vector<float> s(size_t(shape_elements(scale)), 1.0f);
    Run r = run(OpType::kLayerNormalization, {{{2, 3, 4}, x}, {scale, s}}, std::move(a));
    REQUIRE_FALSE(r.status.ok());
    CHECK(r.status.to_string().find("'k'") != std::string::npos);
    return r.status.to_string();
  };
  CHECK(err(ln_attrs({0, 2}), {8}).find("consecutive") != std::string::npos);
  CHECK(err(ln_attrs({3}), {4}).find("out of range") != std::string::npos);
  CHECK(err(ln_attrs({}), {4}).find("at least one axis") != std::string::npos);
  CHECK(err(ln_attrs({2}), {3}).find("scale") != std::string::npos);
  NodeAttrs neg = ln_attrs({2});
  neg.epsilon = -1.0f;
  CHECK(err(neg, {4}).find("epsilon") != std::string::npos);
}
