// Cost table: JSON round trip, mismatch errors, transfer fit, roofline marking.
#include <doctest/doctest.h>

#include <algorithm>

#include <cmath>
#include <fstream>

#include "scheduler/cost_model.h"
#include "scheduler/partitioner.h"
#include "tests/helpers.h"

using namespace tandem;
using namespace tandem::test;

namespace {

// input -> conv -> relu -> add(relu, conv) -> output: a skip connection.
Graph small_graph() {
  Graph g;
  int x = add_input(g, "x", {1, 3, 8, 8});
  int w = add_random_constant(g, "w", {4, 3, 3, 3}, 1);
  NodeAttrs conv;
  conv.kernel_shape = {3, 3};
  conv.strides = {1, 1};
  conv.dilations = {1, 1};
  conv.pads = {1, 1, 1, 1};
  int c = add_simple_node(g, OpType::kConv, "conv", {x, w}, conv);
  g.tensor(c).shape = {1, 4, 8, 8};
  int r = add_simple_node(g, OpType::kRelu, "relu", {c});
  g.tensor(r).shape = {1, 4, 8, 8};
  int a = add_simple_node(g, OpType::kAdd, "add", {r, c});
  g.tensor(a).shape = {1, 4, 8, 8};
  g.outputs = {a};
  return g;
}

CostTable measured_table(const Graph& g) {
  CostTable t = make_cost_table(g, {"cpu:cores=0", "opencl:0"});
  t.processors[0].node_ms = {1.5, 0.25, 0.125};
  t.processors[1].node_ms = {0.5, NAN, 0.75};
  t.processors[1].estimated[2] = 1;
  t.processors[0].corun_factor = 1.07;
  t.processors[0].gflops = 95.5;
  t.processors[0].gbps = 12.25;
  t.transfer[0][1] = {0.05, 2.5e-7};
  t.transfer[1][0] = {0.04, 3e-7};
  return t;
}

}  // namespace

TEST_CASE("node signatures and tensor flows of a graph with a skip") {
  Graph g = small_graph();
  auto sigs = node_signatures(g);
  REQUIRE(sigs.size() == 3);
  CHECK(sigs[0].op == "Conv");
  CHECK(sigs[0].macs == 4 * 8 * 8 * 27);
  CHECK(sigs[0].key().find("1x3x8x8,4x3x3x3") != std::string::npos);
  // Same op and shapes but different attributes: a different key.
  Graph g2 = small_graph();
  g2.nodes[0].attrs.strides = {2, 2};
  CHECK(node_signatures(g2)[0].key() != sigs[0].key());
  CHECK(node_signatures(g2)[1].key() == sigs[1].key());

  CostTable t = make_cost_table(g, {"reference"});
  const int64_t act = 4 * 8 * 8 * 4;
  // Cut 1 (after conv) carries conv's output; cut 2 carries conv + relu outputs
  // (conv's is read by add, the skip); cut 3 carries the graph output.
  std::vector<int64_t> cross = crossing_bytes(t);
  REQUIRE(cross.size() == 4);
  CHECK(cross[0] == 3 * 8 * 8 * 4);
  CHECK(cross[1] == act);
  CHECK(cross[2] == 2 * act);
  CHECK(cross[3] == act);
  // The same from range_io of the suffix ranges (inputs read there).
  RangeIO io = range_io(g, 2, 3);
  CHECK(io.inputs.size() == 2);
  // One definition of the crossing tensors: the bytes are those of tensors_crossing,
  // and range_io's inputs and outputs are crossing tensors.
  for (int c = 0; c <= int(g.nodes.size()); ++c) {
    int64_t bytes = 0;
    for (int x : tensors_crossing(g, c))
      bytes += shape_elements(g.tensor(x).shape) * int64_t(dtype_size(g.tensor(x).dtype));
    CHECK(bytes == cross[size_t(c)]);
    const std::vector<int> at_c = tensors_crossing(g, c);
    for (int x : range_io(g, c, int(g.nodes.size())).inputs)
      CHECK(std::count(at_c.begin(), at_c.end(), x) == 1);
    for (int x : range_io(g, 0, c).outputs) CHECK(std::count(at_c.begin(), at_c.end(), x) == 1);
  }
}

TEST_CASE("cost table JSON round trip") {
  Graph g = small_graph();
  CostTable t = measured_table(g);
  const std::string path = temp_path("profile_roundtrip.json");
  REQUIRE(save_cost_table(path, t).ok());
  auto back = load_cost_table(path);
  REQUIRE_MESSAGE(back.ok(), back.status().to_string());
  CHECK(back->machine == t.machine);
  CHECK(back->model_hash == t.model_hash);
  REQUIRE(back->nodes.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(back->nodes[i].key() == t.nodes[i].key());
  REQUIRE(back->processors.size() == 2);
  CHECK(back->processors[0].node_ms == t.processors[0].node_ms);
  CHECK(std::isnan(back->processors[1].node_ms[1]));
  CHECK(back->processors[1].node_ms[2] == 0.75);
  CHECK(back->processors[1].estimated[2] == 1);
  CHECK(back->processors[0].corun_factor == 1.07);
  CHECK(back->processors[0].gflops == 95.5);
  CHECK(back->transfer[0][1].ms_per_byte == 2.5e-7);
  CHECK(back->transfer[1][0].latency_ms == 0.04);
  REQUIRE(back->tensors.size() == t.tensors.size());
  CHECK(back->tensors[1].last_use == t.tensors[1].last_use);
  CHECK(check_cost_table_matches(*back, g, {"cpu:cores=0", "opencl:0"}, &t.machine).ok());
}

TEST_CASE("mismatched or corrupt profiles are errors that say why") {
  Graph g = small_graph();
  CostTable t = measured_table(g);
  const std::string text = cost_table_to_json(t);

  SUBCASE("other model") {
    Graph other = small_graph();
    other.tensor(other.inputs[0]).shape = {1, 3, 16, 16};
    Status st = check_cost_table_matches(t, other, {"cpu:cores=0", "opencl:0"}, nullptr);
    REQUIRE_FALSE(st.ok());
    CHECK(st.message().find("'conv'") != std::string::npos);
  }
  SUBCASE("other processors") {
    Status st = check_cost_table_matches(t, g, {"cpu:cores=1", "opencl:0"}, nullptr);
    REQUIRE_FALSE(st.ok());
    CHECK(st.message().find("cpu:cores=1") != std::string::npos);
  }
  SUBCASE("other machine") {
    MachineFingerprint m{"Some ARM board", 8};
    Status st = check_cost_table_matches(t, g, {"cpu:cores=0", "opencl:0"}, &m);
    REQUIRE_FALSE(st.ok());
    CHECK(st.message().find("Some ARM board") != std::string::npos);
  }
  SUBCASE("other schema version") {
    std::string v2 = text;
    auto pos = v2.find("\"schema_version\": 1");
    REQUIRE(pos != std::string::npos);
    v2.replace(pos, 19, "\"schema_version\": 2");
    auto r = cost_table_from_json(v2, "p.json");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnsupported);
    CHECK(r.status().message().find("version 2") != std::string::npos);
  }
  SUBCASE("truncated file") {
    auto r = cost_table_from_json(text.substr(0, text.size() / 2), "p.json");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("p.json") != std::string::npos);
  }
  SUBCASE("edited node list no longer matches its hash") {
    std::string e = text;
    auto pos = e.find("\"Relu\"");
    REQUIRE(pos != std::string::npos);
    e.replace(pos, 6, "\"Tanh\"");
    auto r = cost_table_from_json(e, "p.json");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("hash") != std::string::npos);
  }
  SUBCASE("wrong types are errors, not exceptions") {
    std::string e = text;
    auto pos = e.find("\"corun_factor\": 1.07");
    REQUIRE(pos != std::string::npos);
    e.replace(pos, 20, "\"corun_factor\": \"x\"");
    CHECK_FALSE(cost_table_from_json(e, "p.json").ok());
  }
  SUBCASE("negative time") {
    CostTable bad = t;
    bad.processors[0].node_ms[0] = -1;
    CHECK_FALSE(cost_table_from_json(cost_table_to_json(bad), "p.json").ok());
  }
  SUBCASE("not a profile") {
    CHECK_FALSE(cost_table_from_json("{\"a\": 1}", "p.json").ok());
    CHECK_FALSE(load_cost_table(temp_path("does_not_exist.json")).ok());
  }
}

TEST_CASE("transfer fit recovers latency and bandwidth from noisy points") {
  // 0.02 ms + 1 GB/s (1e-6 ms per byte), +-2% noise.
  std::vector<double> bytes = {16e3, 64e3, 256e3, 1e6, 4e6}, ms;
  const double noise[] = {1.02, 0.98, 1.01, 0.99, 1.0};
  for (size_t i = 0; i < bytes.size(); ++i) ms.push_back((0.02 + 1e-6 * bytes[i]) * noise[i]);
  TransferModel m = fit_transfer_model(bytes, ms);
  CHECK(m.ms_per_byte == doctest::Approx(1e-6).epsilon(0.02));
  CHECK(m.latency_ms == doctest::Approx(0.02).epsilon(0.5));
  CHECK(m.ms(2e6) == doctest::Approx(0.02 + 2.0).epsilon(0.02));
  // Flat or falling measurements never give a negative slope.
  TransferModel flat = fit_transfer_model({1e3, 1e6}, {0.5, 0.4});
  CHECK(flat.ms_per_byte == 0);
  CHECK(flat.latency_ms >= 0);
}

TEST_CASE("roofline estimates fill only unmeasured supported nodes and are marked") {
  Graph g = small_graph();
  CostTable t = make_cost_table(g, {"cpu"});
  auto& pc = t.processors[0];
  // Conv measured at 10 GFLOP/s, relu at 2 GB/s; add not measured.
  const double conv_flops = 2.0 * double(t.nodes[0].macs);
  pc.node_ms[0] = conv_flops / (10.0 * 1e6);               // 10 GFLOP/s
  pc.node_ms[1] = double(t.nodes[1].bytes) / (2.0 * 1e6);  // 2 GB/s
  fit_roofline(t, 0);
  CHECK(pc.gflops == doctest::Approx(10.0));
  CHECK(pc.gbps == doctest::Approx(2.0));
  int n = apply_roofline_estimates(t, {{true, true, true}});
  CHECK(n == 1);
  CHECK(pc.estimated[2] == 1);
  CHECK(pc.estimated[0] == 0);
  CHECK(pc.node_ms[2] == doctest::Approx(double(t.nodes[2].bytes) / 2e6));
  // An unsupported node stays NaN.
  CostTable u = make_cost_table(g, {"cpu"});
  u.processors[0].gflops = 10;
  u.processors[0].gbps = 2;
  CHECK(apply_roofline_estimates(u, {{true, false, true}}) == 2);
  CHECK(std::isnan(u.processors[0].node_ms[1]));
}

TEST_CASE("machine fingerprint reads /proc/cpuinfo") {
  MachineFingerprint m = current_machine_fingerprint();
  CHECK(m.cores >= 1);
  CHECK_FALSE(m.cpu_model.empty());
}
