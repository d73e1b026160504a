// Converted ONNX models run on the reference processor and match values
// computed by hand (or by naive loops here, independent of the kernels),
// with and without the graph passes, and after a .tdm round trip.
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>

#include "api/default_registry.h"
#include "engine/executor.h"
#include "formats/model_file.h"
#include "formats/onnx/converter.h"
#include "kernels/reference/reference_kernels.h"
#include "tests/onnx_builder.h"

using namespace tandem;
using test::OnnxBuilder;

namespace {

std::vector<std::vector<float>> run_graph(const Graph& g,
                                          const std::vector<std::vector<float>>& inputs) {
  auto proc = create_processor("reference");
  REQUIRE(proc.ok());
  auto exe = Executor::create(g, **proc);
  INFO(exe.status().to_string());
  REQUIRE(exe.ok());
  std::vector<HostTensor> in;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& t = g.tensor(g.inputs[k]);
    REQUIRE(static_cast<int64_t>(inputs[k].size()) == shape_elements(t.shape));
    in.push_back(HostTensor{t.name, t.shape, inputs[k]});
  }
  auto out = (*exe)->run(in);
  INFO(out.status().to_string());
  REQUIRE(out.ok());
  std::vector<std::vector<float>> r;
  for (const HostTensor& t : *out) r.push_back(t.data);
  return r;
}

// Converts with and without passes and through a .tdm file; all three must agree with `expected`.
void check_model(const OnnxBuilder& b, const std::string& file,
                 const std::vector<std::vector<float>>& inputs,
                 const std::vector<std::vector<float>>& expected, double tol = 1e-5) {
  std::string path = b.save(file);
  for (bool passes : {false, true}) {
    ConvertOptions o;
    o.run_passes = passes;
    o.evaluate_constants = run_reference_node;
    auto r = convert_onnx(path, o);
    INFO(file << (passes ? " with passes" : " raw") << ": " << r.status().to_string());
    REQUIRE(r.ok());
    auto got = run_graph(r->graph, inputs);
    REQUIRE(got.size() == expected.size());
    for (size_t k = 0; k < got.size(); ++k) {
      INFO("output " << k);
      CHECK(test::relative_error(got[k], expected[k]) <= tol);
    }
    if (passes) {
      std::string tdm = test::temp_path(file + ".tdm");
      REQUIRE(write_model_file(tdm, r->graph).ok());
      auto mf = read_model_file(tdm);
      INFO(mf.status().to_string());
      REQUIRE(mf.ok());
      auto again = run_graph(mf->graph, inputs);
      for (size_t k = 0; k < again.size(); ++k)
        CHECK(test::relative_error(again[k], expected[k]) <= tol);
    }
  }
}

std::vector<float> iota_floats(size_t n, float start = 0) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

}  // namespace

TEST_CASE("Conv (strides, asymmetric pads, dilations, groups, bias) + Relu") {
  const int C = 4, H = 6, W = 7, M = 6, G = 2, KH = 3, KW = 2;
  const int sh = 2, sw = 1, pt = 1, pl = 0, pb = 2, pr = 1, dh = 1, dw = 2;
  std::vector<float> x = test::random_floats(C * H * W, 11);
  std::vector<float> w = test::random_floats(M * (C / G) * KH * KW, 12);
  std::vector<float> bias = test::random_floats(M, 13);
  OnnxBuilder b;
  b.input("x", {1, C, H, W});
  b.init_floats("w", {M, C / G, KH, KW}, w);
  b.init_floats("b", {M}, bias);
  auto* c = b.node("Conv", {"x", "w", "b"}, {"y"}, "conv");
  OnnxBuilder::attr(c, "strides", std::vector<int64_t>{sh, sw});
  OnnxBuilder::attr(c, "pads", std::vector<int64_t>{pt, pl, pb, pr});
  OnnxBuilder::attr(c, "dilations", std::vector<int64_t>{dh, dw});
  OnnxBuilder::attr(c, "group", int64_t{G});
  b.node("Relu", {"y"}, {"z"}, "relu");
  b.output("z");
  const int OH = (H + pt + pb - ((KH - 1) * dh + 1)) / sh + 1;
  const int OW = (W + pl + pr - ((KW - 1) * dw + 1)) / sw + 1;
  std::vector<float> expect(M * OH * OW);
  for (int m = 0; m < M; ++m)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        double acc = bias[m];
        int g = m / (M / G);
        for (int ci = 0; ci < C / G; ++ci)
          for (int ky = 0; ky < KH; ++ky)
            for (int kx = 0; kx < KW; ++kx) {
              int iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              acc += double(x[((g * (C / G) + ci) * H + iy) * W + ix]) *
                     w[((m * (C / G) + ci) * KH + ky) * KW + kx];
            }
        expect[(m * OH + oy) * OW + ox] = static_cast<float>(std::max(0.0, acc));
      }
  check_model(b, "num_conv.onnx", {x}, {expect});
}

TEST_CASE("Conv + BatchNormalization (folded by the passes) matches the unfolded formula") {
  const int C = 3, M = 2, P = 4;
  std::vector<float> x = test::random_floats(C * P, 21), w = test::random_floats(M * C, 22);
  std::vector<float> scale = {1.5f, -0.5f}, bias = {0.1f, 0.2f}, mean = {0.3f, -0.1f},
                     var = {2.0f, 0.5f};
  OnnxBuilder b;
  b.input("x", {1, C, 2, 2});
  b.init_floats("w", {M, C, 1, 1}, w);
  b.node("Conv", {"x", "w"}, {"y"}, "conv");
  b.init_floats("s", {M}, scale);
  b.init_floats("bb", {M}, bias);
  b.init_floats("m", {M}, mean);
  b.init_floats("v", {M}, var);
  auto* bn = b.node("BatchNormalization", {"y", "s", "bb", "m", "v"}, {"z"}, "bn");
  OnnxBuilder::attr(bn, "epsilon", 1e-3f);
  b.output("z");
  std::vector<float> expect(M * P);
  for (int m = 0; m < M; ++m)
    for (int p = 0; p < P; ++p) {
      double y = 0;
      for (int c = 0; c < C; ++c) y += double(x[c * P + p]) * w[m * C + c];
      expect[m * P + p] =
          static_cast<float>((y - mean[m]) / std::sqrt(var[m] + 1e-3) * scale[m] + bias[m]);
    }
  check_model(b, "num_conv_bn.onnx", {x}, {expect});
}

TEST_CASE("Gemm with transB, alpha, beta and a broadcast C; then Softmax") {
  const int N = 2, K = 5, M = 3;
  std::vector<float> x = test::random_floats(N * K, 31), w = test::random_floats(M * K, 32),
                     c = {0.5f, -1, 2};
  OnnxBuilder b;
  b.input("x", {N, K});
  b.init_floats("w", {M, K}, w);
  b.init_floats("c", {M}, c);
  auto* g = b.node("Gemm", {"x", "w", "c"}, {"y"}, "fc");
  OnnxBuilder::attr(g, "transB", int64_t{1});
  OnnxBuilder::attr(g, "alpha", 0.5f);
  OnnxBuilder::attr(g, "beta", 2.0f);
  b.node("Softmax", {"y"}, {"p"}, "softmax");
  b.output("y");
  b.output("p");
  std::vector<float> y(N * M), p(N * M);
  for (int n = 0; n < N; ++n) {
    double sum = 0;
    for (int m = 0; m < M; ++m) {
      double acc = 0;
      for (int k = 0; k < K; ++k) acc += double(x[n * K + k]) * w[m * K + k];
      y[n * M + m] = static_cast<float>(0.5 * acc + 2.0 * c[m]);
      sum += std::exp(double(y[n * M + m]));
    }
    for (int m = 0; m < M; ++m)
      p[n * M + m] = static_cast<float>(std::exp(double(y[n * M + m])) / sum);
  }
  check_model(b, "num_gemm.onnx", {x}, {y, p});
}

TEST_CASE("Slice with negative starts, ends and steps; Split; Transpose; Concat") {
  OnnxBuilder b;
  b.input("x", {1, 6});
  b.init_ints("st", {-2});
  b.init_ints("en", {-6});
  b.init_ints("ax", {-1});
  b.init_ints("sp", {-1});
  b.node("Slice", {"x", "st", "en", "ax", "sp"}, {"s"}, "rev");  // x[:, 4:0:-1]
  b.init_ints("sizes", {1, 3});
  auto* sp = b.node("Split", {"s", "sizes"}, {"a", "c"}, "split");
  OnnxBuilder::attr(sp, "axis", int64_t{1});
  auto* cat = b.node("Concat", {"c", "a"}, {"cat"}, "cat");
  OnnxBuilder::attr(cat, "axis", int64_t{-1});
  b.node("Transpose", {"cat"}, {"t"}, "tr");
  b.output("s");
  b.output("t");
  std::vector<float> x = {0, 1, 2, 3, 4, 5};
  check_model(b, "num_slice.onnx", {x}, {{4, 3, 2, 1}, {3, 2, 1, 4}});
}

TEST_CASE("Pad: constant value, reflect, edge") {
  for (auto [mode, expect] :
       {std::pair<std::string, std::vector<float>>{"constant", {1.5f, 1.5f, 1, 2, 3, 1.5f, 1.5f}},
        {"reflect", {3, 2, 1, 2, 3, 2, 1}},
        {"edge", {1, 1, 1, 2, 3, 3, 3}}}) {
    INFO(mode);
    OnnxBuilder b;
    b.input("x", {1, 1, 1, 3});
    b.init_ints("pads", {0, 0, 0, 2, 0, 0, 0, 2});
    b.init_floats("v", {}, {1.5f});
    auto* p = b.node("Pad",
                     mode == "constant" ? std::vector<std::string>{"x", "pads", "v"}
                                        : std::vector<std::string>{"x", "pads"},
                     {"y"}, "pad");
    OnnxBuilder::attr(p, "mode", mode);
    b.output("y");
    check_model(b, "num_pad_" + mode + ".onnx", {{1, 2, 3}}, {expect});
  }
}

TEST_CASE("Activations: Clip (Relu6), HardSigmoid, HardSwish, LeakyRelu, Sigmoid, Tanh") {
  std::vector<float> x = {-6, -1, 0, 0.5f, 3, 7};
  auto each = [&](auto f) {
    std::vector<float> r;
    for (float v : x) r.push_back(static_cast<float>(f(double(v))));
    return r;
  };
  OnnxBuilder b(14);
  b.input("x", {1, 6});
  b.init_floats("lo", {}, {0});
  b.init_floats("hi", {}, {6});
  b.node("Clip", {"x", "lo", "hi"}, {"clip"}, "relu6");
  auto* hs = b.node("HardSigmoid", {"x"}, {"hsig"}, "hsig");
  OnnxBuilder::attr(hs, "alpha", 1.0f / 6);
  b.node("HardSwish", {"x"}, {"hswish"}, "hswish");
  auto* lr = b.node("LeakyRelu", {"x"}, {"leaky"}, "leaky");
  OnnxBuilder::attr(lr, "alpha", 0.2f);
  b.node("Sigmoid", {"x"}, {"sig"}, "sig");
  b.node("Tanh", {"x"}, {"tanh"}, "tanh");
  for (const char* o : {"clip", "hsig", "hswish", "leaky", "sig", "tanh"}) b.output(o);
  auto hsig = [](double v) { return std::clamp(v / 6 + 0.5, 0.0, 1.0); };
  check_model(b, "num_act.onnx", {x},
              {each([](double v) { return std::clamp(v, 0.0, 6.0); }), each(hsig),
               each([&](double v) { return v * hsig(v); }),
               each([](double v) { return v < 0 ? 0.2 * v : v; }),
               each([](double v) { return 1 / (1 + std::exp(-v)); }),
               each([](double v) { return std::tanh(v); })});
}

TEST_CASE("Erf: GELU as exporters write it, x * 0.5 * (1 + erf(x / sqrt(2)))") {
  std::vector<float> x = {-4, -1, -0.3f, 0, 0.5f, 1, 2, 3.5f};
  OnnxBuilder b(13);
  b.input("x", {1, 8});
  b.init_floats("sqrt2", {}, {std::sqrt(2.0f)});
  b.init_floats("one", {}, {1});
  b.init_floats("half", {}, {0.5f});
  b.node("Div", {"x", "sqrt2"}, {"xs"}, "div");
  b.node("Erf", {"xs"}, {"e"}, "erf");
  b.node("Add", {"e", "one"}, {"e1"}, "add");
  b.node("Mul", {"x", "e1"}, {"xe"}, "mul");
  b.node("Mul", {"xe", "half"}, {"y"}, "mul_half");
  b.output("e");
  b.output("y");
  std::vector<float> erf_want, gelu_want;
  for (float v : x) {
    erf_want.push_back(static_cast<float>(std::erf(double(v) / std::sqrt(2.0))));
    gelu_want.push_back(
        static_cast<float>(0.5 * double(v) * (1 + std::erf(double(v) / std::sqrt(2.0)))));
  }
  check_model(b, "num_erf.onnx", {x}, {erf_want, gelu_want});
}

TEST_CASE("Pools: MaxPool ceil_mode, AveragePool with and without counting pads, ReduceMean") {
  OnnxBuilder b;
  b.input("x", {1, 1, 3, 3});
  auto* mp = b.node("MaxPool", {"x"}, {"mp"}, "mp");
  OnnxBuilder::attr(mp, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(mp, "strides", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(mp, "ceil_mode", int64_t{1});
  for (int include : {0, 1}) {
    auto* ap = b.node("AveragePool", {"x"}, {"ap" + std::to_string(include)},
                      "ap" + std::to_string(include));
    OnnxBuilder::attr(ap, "kernel_shape", std::vector<int64_t>{2, 2});
    OnnxBuilder::attr(ap, "pads", std::vector<int64_t>{1, 1, 0, 0});
    OnnxBuilder::attr(ap, "strides", std::vector<int64_t>{2, 2});
    OnnxBuilder::attr(ap, "count_include_pad", int64_t{include});
  }
  auto* rm = b.node("ReduceMean", {"x"}, {"rm"}, "rm");
  OnnxBuilder::attr(rm, "axes", std::vector<int64_t>{-1});
  OnnxBuilder::attr(rm, "keepdims", int64_t{0});
  b.node("GlobalAveragePool", {"x"}, {"gap"}, "gap");
  b.node("GlobalMaxPool", {"x"}, {"gmp"}, "gmp");
  for (const char* o : {"mp", "ap0", "ap1", "rm", "gap", "gmp"}) b.output(o);
  // x = 0..8 row-major. Average windows (pad top/left 1, stride 2): {0}, {1,2}, {3,6}, {4,5,7,8}.
  check_model(b, "num_pool.onnx", {iota_floats(9)},
              {{4, 5, 7, 8}, {0, 1.5f, 4.5f, 6}, {0, 0.75f, 2.25f, 6}, {1, 4, 7}, {4}, {8}});
}

TEST_CASE("binary ops broadcast against constants; shape chains feed Reshape and Flatten") {
  OnnxBuilder b;
  b.input("x", {1, 2, 2, 1});
  b.init_floats("k", {1, 2, 1, 1}, {2, -1});
  b.node("Mul", {"x", "k"}, {"m"}, "mul");
  b.node("Sub", {"m", "x"}, {"s"}, "sub");
  b.init_floats("d", {}, {4});
  b.node("Div", {"s", "d"}, {"q"}, "div");
  b.node("Add", {"q", "x"}, {"a"}, "add");
  b.node("Shape", {"a"}, {"shape"}, "shape");
  b.init_ints("i0", {0});
  b.node("Gather", {"shape", "i0"}, {"n"}, "gather");
  b.init_ints("m1", {-1});
  auto* cat = b.node("Concat", {"n", "m1"}, {"target"}, "cat");
  OnnxBuilder::attr(cat, "axis", int64_t{0});
  b.node("Reshape", {"a", "target"}, {"r"}, "reshape");
  b.node("Flatten", {"a"}, {"f"}, "flatten");
  b.output("r");
  b.output("f");
  std::vector<float> x = {1, 2, 3, 4};
  std::vector<float> e;
  for (int k = 0; k < 4; ++k) {
    float scale = k < 2 ? 2.0f : -1.0f;
    e.push_back((x[k] * scale - x[k]) / 4 + x[k]);
  }
  check_model(b, "num_binary.onnx", {x}, {e, e});
}

TEST_CASE("Resize: nearest 2x, bilinear from folded sizes, align_corners") {
  {
    OnnxBuilder b(13);  // torch's nn.Upsample(scale_factor=2): asymmetric, floor
    b.input("x", {1, 1, 2, 2});
    b.init_floats("scales", {4}, {1, 1, 2, 2});
    auto* r = b.node("Resize", {"x", "", "scales"}, {"y"}, "up");
    OnnxBuilder::attr(r, "coordinate_transformation_mode", std::string("asymmetric"));
    OnnxBuilder::attr(r, "nearest_mode", std::string("floor"));
    b.output("y");
    check_model(b, "num_resize_nearest2x.onnx", {{1, 2, 3, 4}},
                {{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}});
  }
  {
    // FCN's head: sizes = Concat(Shape(x)[0:2], [4, 4]), folded at conversion; bilinear
    // half_pixel 2 -> 4 reads x = -.25 .25 .75 1.25, clamped: weights h = 0 .25 .75 1, so
    // y[i][j] = 2 h[i] + h[j] for x = [[0, 1], [2, 3]].
    OnnxBuilder b(13);
    b.input("x", {1, 1, 2, 2});
    b.node("Shape", {"x"}, {"shape"}, "shape");
    b.init_ints("zero", {0});
    b.init_ints("two", {2});
    b.node("Slice", {"shape", "zero", "two"}, {"nc"}, "nc");
    b.init_ints("hw", {4, 4});
    auto* cat = b.node("Concat", {"nc", "hw"}, {"sizes"}, "cat");
    OnnxBuilder::attr(cat, "axis", int64_t{0});
    auto* r = b.node("Resize", {"x", "", "", "sizes"}, {"y"}, "resize");
    OnnxBuilder::attr(r, "mode", std::string("linear"));
    b.output("y");
    const float h[4] = {0, 0.25f, 0.75f, 1};
    std::vector<float> want;
    for (float hi : h)
      for (float hj : h) want.push_back(2 * hi + hj);
    check_model(b, "num_resize13_sizes.onnx", {{0, 1, 2, 3}}, {want});
  }
  {
    OnnxBuilder b(11);  // align_corners 3 -> 6: x = 2 o / 5, values 2 x
    b.input("x", {1, 1, 1, 3});
    b.init_floats("roi", {0}, {});
    b.init_floats("scales", {4}, {1, 1, 1, 2});
    auto* r = b.node("Resize", {"x", "roi", "scales"}, {"y"}, "resize");
    OnnxBuilder::attr(r, "mode", std::string("linear"));
    OnnxBuilder::attr(r, "coordinate_transformation_mode", std::string("align_corners"));
    b.output("y");
    check_model(b, "num_resize11_corners.onnx", {{0, 2, 4}}, {{0, 0.8f, 1.6f, 2.4f, 3.2f, 4}});
  }
}
