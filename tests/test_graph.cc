#include <doctest/doctest.h>

#include "graph/graph.h"
#include "graph/hash.h"
#include "tests/helpers.h"

using namespace tandem;

TEST_CASE("op names round-trip through the X-macro list") {
  for (OpType op : kAllOps) {
    auto back = op_from_name(op_name(op));
    REQUIRE(back.has_value());
    CHECK(*back == op);
    CHECK(op_is_known(static_cast<uint32_t>(op)));
  }
  CHECK_FALSE(op_from_name("NoSuchOp").has_value());
  CHECK_FALSE(op_is_known(0));
  CHECK_FALSE(op_is_known(60000));
}

TEST_CASE("topo_sort orders nodes and reports cycles and missing producers") {
  Graph g;
  int x = test::add_input(g, "x", {1, 4});
  int a = test::add_value(g, "a");
  int b = test::add_value(g, "b");
  // Written in reverse order: b = relu(a), a = sigmoid(x).
  g.add_node(Node{"relu", OpType::kRelu, {a}, {b}, {}});
  g.add_node(Node{"sig", OpType::kSigmoid, {x}, {a}, {}});
  g.outputs = {b};
  REQUIRE(topo_sort(g).ok());
  CHECK(g.nodes[0].name == "sig");
  CHECK(g.nodes[1].name == "relu");

  Graph cyc;
  int p = test::add_value(cyc, "p");
  int q = test::add_value(cyc, "q");
  cyc.add_node(Node{"n1", OpType::kRelu, {p}, {q}, {}});
  cyc.add_node(Node{"n2", OpType::kRelu, {q}, {p}, {}});
  Status st = topo_sort(cyc);
  CHECK(st.code() == StatusCode::kInvalidModel);
  CHECK(st.message().find("cycle") != std::string::npos);

  Graph orphan;
  int z = test::add_value(orphan, "z");
  test::add_simple_node(orphan, OpType::kRelu, "r", {z});
  st = topo_sort(orphan);
  CHECK(st.message().find("'z'") != std::string::npos);
}

TEST_CASE("range_io carries skip connections across a cut") {
  Graph g;
  int x = test::add_input(g, "x", {1, 4});
  int a = test::add_simple_node(g, OpType::kRelu, "a", {x});
  int b = test::add_simple_node(g, OpType::kSigmoid, "b", {a});
  int c = test::add_simple_node(g, OpType::kAdd, "c", {a, b});  // a skips over b
  g.outputs = {c};
  RangeIO second = range_io(g, 1, 3);
  CHECK(second.inputs == std::vector<int>{a});
  CHECK(second.outputs == std::vector<int>{c});
  RangeIO first = range_io(g, 0, 2);
  CHECK(first.inputs == std::vector<int>{x});
  CHECK(first.outputs == std::vector<int>{a, b});
}

TEST_CASE("shape helpers") {
  CHECK(shape_elements({1, 3, 224, 224}) == 150528);
  CHECK(shape_elements({}) == 1);
  CHECK(shape_elements({2, -1}) == -1);
  CHECK(shape_elements({1LL << 40, 1LL << 40}) == -1);
  CHECK(shape_to_string({1, 3, 224, 224}) == "1x3x224x224");
}

TEST_CASE("Status and Expected carry messages") {
  Expected<int> e = invalid_argument("bad thing");
  CHECK_FALSE(e.ok());
  CHECK(e.status().to_string() == "InvalidArgument: bad thing");
  Expected<int> v = 3;
  CHECK(*v == 3);
  CHECK(invalid_model("x").with_context("f.tdm").message() == "f.tdm: x");
}

TEST_CASE("fnv1a64 is standard FNV-1a 64 and hex64 prints 16 digits") {
  // Published FNV-1a 64 test vectors.
  CHECK(fnv1a64("") == 0xcbf29ce484222325ull);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ull);
  // Hashing in pieces continues the same hash.
  CHECK(fnv1a64("bar", fnv1a64("foo")) == fnv1a64("foobar"));
  CHECK(fnv1a64_bytes("foobar", 6) == fnv1a64(std::string("foobar")));
  CHECK(hex64(0x85944171f73967e8ull) == "85944171f73967e8");
  CHECK(hex64(1) == "0000000000000001");
}
