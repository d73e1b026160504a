// The opencl processor's convolutions against the reference processor (relative
// error <= 1e-3 in fp32): direct, implicit GEMM (strides, dilation, 7x7, batch 2,
// ragged tails) and Winograd F(2,3).
#include <doctest/doctest.h>

#include "tests/opencl_op_checks.h"

TEST_CASE("opencl op: convolutions") {
  {
    Graph g;  // 3x3 pad 1, bias, fused relu
    int x = add_input(g, "x", {1, 8, 12, 12});
    NodeAttrs a = conv_attrs({3, 3}, {1, 1}, {1, 1, 1, 1});
    a.activation.min = 0;
    add_simple_node(
        g, OpType::kConv, "conv3x3",
        {x, add_random_constant(g, "w", {16, 8, 3, 3}, 1), add_random_constant(g, "b", {16}, 2)},
        a);
    check_case(g, "conv3x3");
  }
  {
    Graph g;  // grouped, strided, dilated, asymmetric pads, clamp [0, 6], no bias
    int x = add_input(g, "x", {2, 6, 15, 13});
    NodeAttrs a = conv_attrs({3, 5}, {2, 1}, {1, 2, 0, 1}, {2, 1}, 3);
    a.activation.min = 0;
    a.activation.max = 6;
    add_simple_node(g, OpType::kConv, "conv_general",
                    {x, add_random_constant(g, "w", {9, 2, 3, 5}, 3)}, a);
    check_case(g, "conv_general", -3, 3);
  }
  {
    Graph g;  // 1x1 through GEMM, batch 2
    int x = add_input(g, "x", {2, 24, 7, 9});
    add_simple_node(
        g, OpType::kConv, "conv1x1",
        {x, add_random_constant(g, "w", {40, 24, 1, 1}, 4), add_random_constant(g, "b", {40}, 5)},
        conv_attrs({1, 1}, {1, 1}, {0, 0, 0, 0}));
    check_case(g, "conv1x1");
  }
  {
    Graph g;  // depthwise 3x3 stride 2, relu6
    int x = add_input(g, "x", {1, 12, 11, 11});
    NodeAttrs a = conv_attrs({3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 12);
    a.activation.min = 0;
    a.activation.max = 6;
    add_simple_node(
        g, OpType::kConv, "dw3x3",
        {x, add_random_constant(g, "w", {12, 1, 3, 3}, 6), add_random_constant(g, "b", {12}, 7)},
        a);
    check_case(g, "depthwise3x3", -4, 4);
  }
}

// conv_igemm.cl: stride 1 and 2, padded and not (the unpadded 1x1 reads its
// input in place and clamps the last tiles), dilation, 7x7, batch 2, ragged
// widths that leave dropped lanes, and channel counts that are multiples of 8.
TEST_CASE("opencl op: implicit-GEMM convolutions") {
  struct Case {
    const char* name;
    Shape x;
    int M, K, S, P, D;
  };
  const Case cases[] = {
      {"1x1 unpadded, 7x7 plane", {1, 24, 7, 7}, 16, 1, 1, 0, 1},
      {"1x1 stride 2", {2, 16, 13, 11}, 8, 1, 2, 0, 1},
      {"3x3 stride 2 pad 1", {1, 8, 15, 17}, 16, 3, 2, 1, 1},
      {"3x3 dilation 2 pad 2", {1, 8, 11, 9}, 8, 3, 1, 2, 2},
      {"7x7 stride 2 pad 3 (stem)", {1, 3, 30, 30}, 16, 7, 2, 3, 1},
      {"5x5 pad 2, batch 2", {2, 5, 9, 21}, 24, 5, 1, 2, 1},
      {"3x3 on a plane over 1 MiB (channel blocks first)", {1, 16, 130, 129}, 8, 3, 1, 1, 1},
  };
  for (const Case& c : cases) {
    Graph g;
    int x = add_input(g, "x", c.x);
    NodeAttrs a = conv_attrs({c.K, c.K}, {c.S, c.S}, {c.P, c.P, c.P, c.P}, {c.D, c.D});
    a.activation.min = -0.5f;
    add_simple_node(g, OpType::kConv, "conv",
                    {x, add_random_constant(g, "w", {c.M, c.x[1], c.K, c.K}, 11),
                     add_random_constant(g, "b", {c.M}, 12)},
                    a);
    check_case(g, c.name);
  }
}

// conv_winograd.cc: F(2x2, 3x3) where it pays (C, M >= 128, outputs 28-56
// wide), with odd output sizes that leave partial tiles, and a fused clamp.
TEST_CASE("opencl op: Winograd 3x3 convolutions") {
  for (const Shape& x : {Shape{1, 128, 28, 28}, Shape{1, 136, 29, 31}}) {
    Graph g;
    int in = add_input(g, "x", x);
    NodeAttrs a = conv_attrs({3, 3}, {1, 1}, {1, 1, 1, 1});
    a.activation.min = 0;
    a.activation.max = 6;
    add_simple_node(g, OpType::kConv, "conv",
                    {in, add_random_constant(g, "w", {128, x[1], 3, 3}, 21),
                     add_random_constant(g, "b", {128}, 22)},
                    a);
    check_case(g, "winograd " + std::to_string(x[2]) + "x" + std::to_string(x[3]), -2, 2);
  }
}
