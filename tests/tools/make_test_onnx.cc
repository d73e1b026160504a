// Writes OUT_DIR/tiny.onnx, a small ONNX model (conv-relu-maxpool-flatten-gemm-
// softmax on a 1x3x8x8 "image", output "probs") for the install test, which
// converts it with the installed `tandem convert`.
#include <cstdio>
#include <fstream>
#include <string>

#include "tests/onnx_builder.h"

using tandem::test::OnnxBuilder;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_test_onnx OUT_DIR\n");
    return 2;
  }
  OnnxBuilder b;
  b.input("image", {1, 3, 8, 8});
  b.init_random("conv.w", {4, 3, 3, 3}, 1);
  b.init_random("conv.b", {4}, 2);
  auto* conv = b.node("Conv", {"image", "conv.w", "conv.b"}, {"c"}, "conv");
  OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
  b.node("Relu", {"c"}, {"r"}, "relu");
  auto* pool = b.node("MaxPool", {"r"}, {"p"}, "pool");
  OnnxBuilder::attr(pool, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(pool, "strides", std::vector<int64_t>{2, 2});
  b.node("Flatten", {"p"}, {"f"}, "flatten");
  b.init_random("fc.w", {10, 64}, 3);
  b.init_random("fc.b", {10}, 4);
  auto* fc = b.node("Gemm", {"f", "fc.w", "fc.b"}, {"logits"}, "fc");
  OnnxBuilder::attr(fc, "transB", int64_t{1});
  b.node("Softmax", {"logits"}, {"probs"}, "softmax");
  b.output("probs");
  std::string path = std::string(argv[1]) + "/tiny.onnx";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !b.model.SerializeToOstream(&out)) {
    std::fprintf(stderr, "make_test_onnx: cannot write %s\n", path.c_str());
    return 1;
  }
  return 0;
}
