// Writes small test models (.tdm) and inputs (.npy) for the CLI, C API and
// install tests: conv-bn-relu-maxpool-gemm-softmax, built by hand.
#include <cstdio>
#include <string>

#include "formats/model_file.h"
#include "graph/shape_inference.h"
#include "tests/helpers.h"
#include "tools/support/npy.h"

using namespace tandem;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_test_model OUT_DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  Graph g;
  g.metadata.producer = "make_test_model";
  int x = test::add_input(g, "image", {1, 3, 8, 8});
  NodeAttrs conv;
  conv.kernel_shape = {3, 3};
  conv.strides = {1, 1};
  conv.dilations = {1, 1};
  conv.pads = {1, 1, 1, 1};
  int w = test::add_random_constant(g, "conv.w", {4, 3, 3, 3}, 1);
  int b = test::add_random_constant(g, "conv.b", {4}, 2);
  int c = test::add_simple_node(g, OpType::kConv, "conv", {x, w, b}, conv);
  int scale = g.add_constant("bn.scale", {4}, {1.0f, 0.5f, 2.0f, 1.5f});
  int bias = g.add_constant("bn.bias", {4}, {0.1f, -0.2f, 0.3f, 0.0f});
  int mean = g.add_constant("bn.mean", {4}, {0.0f, 0.1f, -0.1f, 0.2f});
  int var = g.add_constant("bn.var", {4}, {1.0f, 0.5f, 2.0f, 1.0f});
  int bn = test::add_simple_node(g, OpType::kBatchNormalization, "bn", {c, scale, bias, mean, var});
  int r = test::add_simple_node(g, OpType::kRelu, "relu", {bn});
  NodeAttrs pool;
  pool.kernel_shape = {2, 2};
  pool.strides = {2, 2};
  pool.pads = {0, 0, 0, 0};
  pool.dilations = {1, 1};
  int p = test::add_simple_node(g, OpType::kMaxPool, "pool", {r}, pool);
  NodeAttrs flat;
  flat.axis = 1;
  int f = test::add_simple_node(g, OpType::kFlatten, "flatten", {p}, flat);
  NodeAttrs gemm;
  gemm.trans_b = true;
  int gw = test::add_random_constant(g, "fc.w", {10, 64}, 3);
  int gb = test::add_random_constant(g, "fc.b", {10}, 4);
  int fc = test::add_simple_node(g, OpType::kGemm, "fc", {f, gw, gb}, gemm);
  NodeAttrs sm;
  sm.axis = 1;
  int out = test::add_simple_node(g, OpType::kSoftmax, "softmax", {fc}, sm);
  g.tensor(out).name = "probs";
  g.outputs = {out};
  Status st = infer_shapes(g);
  if (st.ok()) st = write_model_file(dir + "/tiny.tdm", g);
  if (st.ok())
    st = write_npy(dir + "/tiny_input.npy", NpyArray{{1, 3, 8, 8}, test::random_floats(192, 5)});
  if (st.ok())
    st = write_npy(dir + "/wrong_shape.npy", NpyArray{{1, 3, 8, 9}, test::random_floats(216, 6)});
  if (!st.ok()) {
    std::fprintf(stderr, "make_test_model: %s\n", st.to_string().c_str());
    return 1;
  }
  return 0;
}
