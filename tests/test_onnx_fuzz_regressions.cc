// Regression tests for what libFuzzer (scripts/fuzz.sh) found in the converter:
// each input used to crash or hit undefined behaviour; now it is a clean error.
#include <doctest/doctest.h>

#include <string>

#include "formats/onnx/converter.h"
#include "tests/onnx_builder.h"

using namespace tandem;
using test::OnnxBuilder;

namespace {

Status convert_error(const OnnxBuilder& b, const std::string& file) {
  ConvertOptions o;
  o.run_passes = false;
  auto r = convert_onnx(b.save(file), o);
  REQUIRE_FALSE(r.ok());
  return r.status();
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a Reshape target whose product overflows int64 is an error, not UB") {
  OnnxBuilder huge;
  huge.input("x", {2, 3});
  huge.init_ints("shape", {int64_t(1) << 40, int64_t(1) << 40, -1});
  huge.node("Reshape", {"x", "shape"}, {"r"}, "huge_reshape");
  huge.output("r");
  CHECK(contains(convert_error(huge, "reshape_huge.onnx").message(), "'huge_reshape'"));
}

TEST_CASE("raw tensor data of a partial element is refused before ONNX shape inference") {
  // libFuzzer found libonnx 1.12 overflowing a buffer on such data during
  // shape inference's data propagation; the precheck refuses it first.
  OnnxBuilder b;
  b.input("x", {2, 3});
  onnx::TensorProto* t = b.graph()->add_initializer();
  t->set_name("shape");
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(2);
  t->set_raw_data(std::string(10, '\1'));  // 10 bytes: not a whole number of int64s
  b.node("Reshape", {"x", "shape"}, {"r"}, "reshape");
  b.output("r");
  Status st = convert_error(b, "raw_partial.onnx");
  CHECK(st.code() == StatusCode::kInvalidModel);
  CHECK(contains(st.message(), "'shape'"));
  CHECK(contains(st.message(), "10 bytes"));
}

TEST_CASE("integer inputs given as huge floats are an error, not undefined behaviour") {
  // libFuzzer/UBSan finding: Pad's pads as a float tensor holding 1.7e22.
  OnnxBuilder b;
  b.input("x", {1, 1, 2, 2});
  b.init_floats("pads", {8}, {0, 0, 1.66e22f, 0, 0, 0, 0, 0});
  b.node("Pad", {"x", "pads"}, {"y"}, "pad");
  b.output("y");
  Status st = convert_error(b, "pad_huge.onnx");
  CHECK_FALSE(st.ok());
}
