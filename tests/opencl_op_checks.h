// Shared by the opencl op tests (test_opencl_processor.cc, test_opencl_conv.cc): the
// processors under test, running a graph on one, and checking it against the reference.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include "api/default_registry.h"
#include "graph/shape_inference.h"
#include "kernels/opencl/device.h"
#include "kernels/opencl/opencl_processor.h"
#include "tests/helpers.h"
#include "tests/skip.h"

using namespace tandem;
using namespace tandem::test;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Tests keep compiled programs under the build tree, so reruns compile nothing.
inline void use_test_cache_dir() {
  static bool done = [] {
    setenv("TANDEM_CACHE_DIR", temp_path("opencl_cache").c_str(), 1);
    return true;
  }();
  (void)done;
}

// "opencl:N,<options>" with N from TANDEM_TEST_OPENCL_DEVICE (default 0), so
// scripts/gpu_check.sh can point every case at an NVIDIA device next to PoCL.
inline std::string spec(const std::string& options = "") {
  const char* d = std::getenv("TANDEM_TEST_OPENCL_DEVICE");
  return "opencl:" + std::string(d && *d ? d : "0") + (options.empty() ? "" : "," + options);
}

inline Processor* opencl() {
  use_test_cache_dir();
  static std::unique_ptr<Processor> p = [] {
    auto r = create_processor(spec());
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    return std::move(r).value();
  }();
  return p.get();
}

inline Processor* reference() {
  static std::unique_ptr<Processor> p = std::move(create_processor("reference")).value();
  return p.get();
}

struct RunResult {
  std::vector<std::vector<float>> outputs;
  std::vector<std::string> fallbacks;
  OpenCLRangeStats stats;
};

inline RunResult run_on(Processor* proc, const Graph& g,
                        const std::vector<std::vector<float>>& inputs) {
  RunResult r;
  auto exe = proc->compile(g, 0, static_cast<int>(g.nodes.size()));
  REQUIRE_MESSAGE(exe.ok(), exe.status().to_string());
  const RangeIO& io = (*exe)->io();
  std::vector<const float*> in;
  for (int t : io.inputs) {
    size_t k = 0;
    while (g.inputs[k] != t) ++k;
    in.push_back(inputs[k].data());
  }
  for (int t : io.outputs) r.outputs.emplace_back(size_t(shape_elements(g.tensor(t).shape)));
  std::vector<float*> out;
  for (auto& o : r.outputs) out.push_back(o.data());
  Status st = (*exe)->run(in.data(), out.data());
  REQUIRE_MESSAGE(st.ok(), st.to_string());
  r.fallbacks = (*exe)->fallback_nodes();
  if (const OpenCLRangeStats* s = opencl_range_stats(**exe)) r.stats = *s;
  return r;
}

// Runs `g` (shapes inferred, outputs = last node's outputs unless set) on both
// processors with random inputs in [lo, hi) and checks every output.
inline RunResult check_case(Graph& g, const std::string& name, float lo = -1.0f, float hi = 1.0f,
                            double tolerance = 1e-3) {
  if (g.outputs.empty()) g.outputs = g.nodes.back().outputs;
  Status st = infer_shapes(g);
  INFO(name);
  REQUIRE_MESSAGE(st.ok(), st.to_string());
  std::vector<std::vector<float>> inputs;
  uint32_t seed = 7;
  for (int t : g.inputs)
    inputs.push_back(random_floats(size_t(shape_elements(g.tensor(t).shape)), seed++, lo, hi));
  RunResult want = run_on(reference(), g, inputs);
  RunResult got = run_on(opencl(), g, inputs);
  REQUIRE(got.outputs.size() == want.outputs.size());
  for (size_t i = 0; i < got.outputs.size(); ++i) {
    double err = relative_error(got.outputs[i], want.outputs[i]);
    INFO(name << " output " << i << " relative error " << err);
    CHECK(err <= tolerance);
  }
  return got;
}

NodeAttrs conv_attrs(std::vector<int64_t> k, std::vector<int64_t> s, std::vector<int64_t> p,
                     std::vector<int64_t> d = {1, 1}, int64_t group = 1) {
  NodeAttrs a;
  a.kernel_shape = std::move(k);
  a.strides = std::move(s);
  a.pads = std::move(p);
  a.dilations = std::move(d);
  a.group = group;
  return a;
}

}  // namespace
