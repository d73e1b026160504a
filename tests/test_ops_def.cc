// graph/ops.def and the FlatBuffers OpType enum must agree name for name,
// value for value: files store the numbers, the IR uses the names. Every op
// has its descriptor: shape inference, a MAC rule, a reference kernel, and at
// most one parameter table (docs/adding_an_op.md).
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "formats/op_params.h"
#include "formats/tandem_generated.h"
#include "graph/node.h"
#include "graph/op_def.h"
#include "graph/op_type.h"
#include "graph/tensor.h"
#include "kernels/reference/reference_kernels.h"

using namespace tandem;

namespace {

// name -> id, parsed from the text of ops.def (not through the X-macro).
std::map<std::string, int> parse_ops_def() {
  std::ifstream in(std::string(TANDEM_SOURCE_DIR) + "/graph/ops.def");
  REQUIRE(in.good());
  std::map<std::string, int> ops;
  std::regex entry(R"(^\s*TANDEM_OP\(\s*(\w+)\s*,\s*(\d+)\s*\))");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, entry)) {
      INFO(line);
      CHECK(ops.count(m[1].str()) == 0);
      ops[m[1].str()] = std::stoi(m[2].str());
    }
  }
  return ops;
}

}  // namespace

TEST_CASE("every ops.def entry is in the schema's OpType with the same value") {
  auto ops = parse_ops_def();
  REQUIRE(ops.size() == std::size(kAllOps));
  for (const auto& [name, id] : ops) {
    INFO(name);
    auto fb_op = static_cast<fb::OpType>(id);
    CHECK(std::string(fb::EnumNameOpType(fb_op)) == name);
    CHECK(op_name(static_cast<OpType>(id)) == name);
  }
}

TEST_CASE("every schema OpType value except Unknown is in ops.def") {
  auto ops = parse_ops_def();
  std::map<int, std::string> by_id;
  for (const auto& [name, id] : ops) by_id[id] = name;
  size_t known = 0;
  for (fb::OpType v : fb::EnumValuesOpType()) {
    int id = static_cast<int>(v);
    std::string name = fb::EnumNameOpType(v);
    INFO(name);
    if (v == fb::OpType::Unknown) {
      CHECK(id == 0);
      CHECK_FALSE(op_is_known(0));
      continue;
    }
    REQUIRE(by_id.count(id) == 1);
    CHECK(by_id[id] == name);
    CHECK(op_is_known(static_cast<uint32_t>(id)));
    ++known;
  }
  CHECK(known == ops.size());
}

TEST_CASE("the schema's DType, PadMode and Resize enums match the IR's") {
  CHECK(static_cast<int>(fb::DType::Float32) == static_cast<int>(DType::kFloat32));
  CHECK(static_cast<int>(fb::DType::Int64) == static_cast<int>(DType::kInt64));
  CHECK(static_cast<int>(fb::PadMode::Constant) == static_cast<int>(PadMode::kConstant));
  CHECK(static_cast<int>(fb::PadMode::Reflect) == static_cast<int>(PadMode::kReflect));
  CHECK(static_cast<int>(fb::PadMode::Edge) == static_cast<int>(PadMode::kEdge));
  CHECK(static_cast<int>(fb::ResizeMode::Linear) == static_cast<int>(ResizeMode::kLinear));
  CHECK(static_cast<int>(fb::ResizeCoordinate::HalfPixelSymmetric) ==
        static_cast<int>(ResizeCoordinate::kHalfPixelSymmetric));
  CHECK(static_cast<int>(fb::ResizeCoordinate::AlignCorners) ==
        static_cast<int>(ResizeCoordinate::kAlignCorners));
  CHECK(static_cast<int>(fb::ResizeNearest::Ceil) == static_cast<int>(ResizeNearest::kCeil));
  CHECK(static_cast<int>(fb::ResizeNearest::RoundPreferCeil) ==
        static_cast<int>(ResizeNearest::kRoundPreferCeil));
}

TEST_CASE("every op in ops.def has shape inference, a MAC rule and a reference kernel") {
  for (OpType op : kAllOps) {
    CAPTURE(op_name(op));
    const OpDef* def = find_op_def(op);
    REQUIRE(def != nullptr);
    CHECK((def->infer != nullptr));
    CHECK((def->macs != nullptr));
    CHECK((reference_kernel(op) != nullptr));
  }
  CHECK(find_op_def(static_cast<OpType>(0)) == nullptr);
  CHECK(find_op_def(static_cast<OpType>(999)) == nullptr);
  CHECK((reference_kernel(static_cast<OpType>(999)) == nullptr));
}

TEST_CASE("every parameter table of the schema belongs to exactly one op") {
  std::map<fb::OpParams, std::vector<std::string>> owners;
  for (OpType op : kAllOps)
    if (op_params_type(op) != fb::OpParams::NONE)
      owners[op_params_type(op)].push_back(std::string(op_name(op)));
  for (fb::OpParams t : fb::EnumValuesOpParams()) {
    if (t == fb::OpParams::NONE) continue;
    CAPTURE(fb::EnumNameOpParams(t));
    REQUIRE(owners.count(t) == 1);
    CHECK(owners[t].size() == 1);
    // The naming convention of tandem.fbs: <Op>Params.
    CHECK(owners[t][0] + "Params" == fb::EnumNameOpParams(t));
  }
  CHECK(op_params_type(OpType::kErf) == fb::OpParams::NONE);
  CHECK(op_params_type(OpType::kConv) == fb::OpParams::ConvParams);
}
