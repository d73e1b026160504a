// Hand-built QDQ models for the cpu int8 tests (test_cpu_int8*.cc) and running
// them whole on one processor spec.
#pragma once

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "tests/cpu_compare.h"
#include "tests/onnx_builder.h"
#include "tests/skip.h"

namespace tandem::test {

// True for a spec that forces the AVX2 level ("...,isa=avx2").
inline bool forces_avx2(const std::string& spec) {
  return spec.find("avx2") != std::string::npos;
}

// Whether this CPU runs the AVX2 kernel in question (`available`); when not, the
// spec is reported as skipped in the test output.
inline bool avx2_runs(bool available) {
  return test::skip_unless(available, "this CPU has no AVX2+FMA");
}

// Builds QDQ models the way quantize_static writes them: each value quantized
// once (Q -> DQ), weights as DequantizeLinear of int8 initializers.
class QdqBuilder {
 public:
  OnnxBuilder b{13};
  std::mt19937 rng{42};

  void int_init(const std::string& name, int32_t type, const std::vector<int64_t>& shape,
                const std::vector<int32_t>& v) {
    auto* t = b.graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (int64_t d : shape) t->add_dims(d);
    for (int32_t x : v) t->add_int32_data(x);
  }
  // Q then DQ of float value `x`: returns the DQ output's name.
  std::string qdq(const std::string& x, float scale, int32_t zp) {
    const std::string s = x + "_s", z = x + "_z";
    b.init_floats(s, {}, {scale});
    int_init(z, onnx::TensorProto::INT8, {}, {zp});
    b.node("QuantizeLinear", {x, s, z}, {x + "_q"});
    b.node("DequantizeLinear", {x + "_q", s, z}, {x + "_dq"});
    return x + "_dq";
  }
  // Per-channel int8 weights [m, rest...] and an int32 bias at sx * sw[m].
  std::vector<std::string> weights(const std::string& name, std::vector<int64_t> shape, float sx,
                                   int64_t axis = 0) {
    int64_t count = 1;
    for (int64_t d : shape) count *= d;
    std::vector<int32_t> w(static_cast<size_t>(count));
    std::uniform_int_distribution<int> wd(-127, 127);
    for (int32_t& v : w) v = wd(rng);
    const int64_t m = shape[size_t(axis)];
    std::vector<float> sw(static_cast<size_t>(m)), sb(static_cast<size_t>(m));
    std::vector<int32_t> bias(static_cast<size_t>(m)), zeros(static_cast<size_t>(m), 0);
    std::uniform_real_distribution<float> sd(0.002f, 0.02f);
    std::uniform_int_distribution<int> bd(-3000, 3000);
    for (int64_t k = 0; k < m; ++k) {
      sw[size_t(k)] = sd(rng);
      sb[size_t(k)] = sx * sw[size_t(k)];
      bias[size_t(k)] = bd(rng);
    }
    int_init(name + "_w", onnx::TensorProto::INT8, shape, w);
    b.init_floats(name + "_ws", {m}, sw);
    int_init(name + "_wz", onnx::TensorProto::INT8, {m}, zeros);
    int_init(name + "_b", onnx::TensorProto::INT32, {m}, bias);
    b.init_floats(name + "_bs", {m}, sb);
    int_init(name + "_bz", onnx::TensorProto::INT32, {m}, zeros);
    auto* dw =
        b.node("DequantizeLinear", {name + "_w", name + "_ws", name + "_wz"}, {name + "_wd"});
    OnnxBuilder::attr(dw, "axis", axis);
    auto* db =
        b.node("DequantizeLinear", {name + "_b", name + "_bs", name + "_bz"}, {name + "_bd"});
    OnnxBuilder::attr(db, "axis", int64_t{0});
    return {name + "_wd", name + "_bd"};
  }
  std::string conv(const std::string& name, const std::string& x, float sx, int64_t c, int64_t m,
                   int64_t k, int64_t stride, int64_t group = 1, int64_t dilation = 1,
                   int64_t pad = -1) {
    auto wb = weights(name, {m, c / group, k, k}, sx);
    auto* n = b.node("Conv", {x, wb[0], wb[1]}, {name}, name);
    const int64_t p = pad >= 0 ? pad : k / 2 * dilation;  // default: "same"
    OnnxBuilder::attr(n, "pads", std::vector<int64_t>{p, p, p, p});
    OnnxBuilder::attr(n, "strides", std::vector<int64_t>{stride, stride});
    OnnxBuilder::attr(n, "group", group);
    if (dilation > 1) OnnxBuilder::attr(n, "dilations", std::vector<int64_t>{dilation, dilation});
    return name;
  }
};

// g on `spec` over a random input (spread over the int8 range); `kinds` set when given.
inline std::vector<float> run_whole(const Graph& g, const std::string& spec,
                                    std::vector<std::string>* kinds) {
  auto p = cpu_test::make(spec);
  auto exe = p->compile(g, 0, int(g.nodes.size()));
  REQUIRE_MESSAGE(exe.ok(), exe.status().to_string());
  if (kinds) *kinds = (*exe)->kernel_kinds();
  cpu_test::Tensors in = cpu_test::random_inputs(g, 0, int(g.nodes.size()), 3);
  for (float& v : in[0]) v *= 3.0f;  // spread over the input's int8 range
  cpu_test::Tensors out = cpu_test::run_range(*p, g, 0, int(g.nodes.size()), in);
  return out[0];
}

}  // namespace tandem::test
