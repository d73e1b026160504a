// Nodes of the graph IR. Parameters that ONNX passes as constant inputs
// (Reshape's shape, Slice's starts, Pad's pads, Clip's bounds, Split's sizes)
// are attributes here; weights (Conv W/B, Gemm B/C, BN scale/bias/mean/var)
// stay constant input tensors.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "graph/op_type.h"

namespace tandem {

// Activation fused into Conv, Gemm or Add: out = clamp(x, min, max).
// Relu is {0, +inf}; Relu6 is {0, 6}.
struct FusedActivation {
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
  bool active() const {
    return min != -std::numeric_limits<float>::infinity() ||
           max != std::numeric_limits<float>::infinity();
  }
};

enum class PadMode : uint8_t { kConstant = 0, kReflect = 1, kEdge = 2 };

// Resize (values as in tandem.fbs): ONNX's mode, coordinate_transformation_mode, nearest_mode.
enum class ResizeMode : uint8_t { kNearest = 0, kLinear = 1 };
enum class ResizeCoordinate : uint8_t {
  kHalfPixel = 0,
  kAsymmetric = 1,
  kPytorchHalfPixel = 2,
  kAlignCorners = 3,
  kTfHalfPixelForNearest = 4,
  kHalfPixelSymmetric = 5,
};
enum class ResizeNearest : uint8_t {
  kRoundPreferFloor = 0,
  kRoundPreferCeil = 1,
  kFloor = 2,
  kCeil = 3
};

// Gelu (values as in tandem.fbs): ONNX's approximate, "none" (erf) or "tanh".
enum class GeluApproximate : uint8_t { kErf = 0, kTanh = 1 };

struct NodeAttrs {
  // Conv, MaxPool, AveragePool. 2-D spatial ops only: kernel_shape/strides/
  // dilations have 2 entries, pads 4 in ONNX order [top, left, bottom, right].
  std::vector<int64_t> kernel_shape;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads;  // Pad: 2*rank entries, ONNX order (begins then ends)
  int64_t group = 1;
  bool ceil_mode = false;
  bool count_include_pad = false;

  // Gemm: Y = alpha * A' * B' + beta * C. HardSigmoid: alpha*x+beta. LeakyRelu: alpha.
  float alpha = 1.0f;
  float beta = 1.0f;
  bool trans_a = false;
  bool trans_b = false;

  // Clip bounds (also used by the fused activation).
  float clip_min = -std::numeric_limits<float>::infinity();
  float clip_max = std::numeric_limits<float>::infinity();

  // BatchNormalization, LayerNormalization.
  float epsilon = 1e-5f;

  // Concat, Split, Softmax, Flatten, Gather-like axes. Negative values are
  // normalised by the converter/shape inference to non-negative.
  int64_t axis = 0;
  std::vector<int64_t> perm;                 // Transpose
  std::vector<int64_t> axes;                 // ReduceMean, Slice, LayerNormalization
  bool keepdims = true;                      // ReduceMean
  std::vector<int64_t> starts, ends, steps;  // Slice
  std::vector<int64_t> split;                // Split: output sizes along axis
  std::vector<int64_t> shape;                // Reshape target (0 = copy dim, -1 = infer)

  PadMode pad_mode = PadMode::kConstant;  // Pad
  float pad_value = 0.0f;

  // Resize: rank entries each; `scales` is what the coordinate transform divides by
  // (ONNX's scales input, or output/input when the model gave sizes), `sizes` the output shape.
  ResizeMode resize_mode = ResizeMode::kNearest;
  ResizeCoordinate resize_coordinate = ResizeCoordinate::kHalfPixel;
  ResizeNearest resize_nearest = ResizeNearest::kRoundPreferFloor;
  std::vector<float> scales;
  std::vector<int64_t> sizes;
  bool resize_from_sizes = false;  // the model gave sizes: the transform uses out / in exactly

  GeluApproximate gelu_approximate = GeluApproximate::kErf;  // Gelu

  FusedActivation activation;  // Conv, Gemm, MatMul, Add after fusion

  // Gather along `axis`: indices known at conversion time (normalised to [0, dim)),
  // laid out as indices_shape (empty: one scalar index, the axis is dropped).
  std::vector<int64_t> indices;
  std::vector<int64_t> indices_shape;
  // QConv, QGemm: output clamp in the quantized domain (a fused Relu/Clip).
  int32_t qmin = -128;
  int32_t qmax = 127;
};

struct Node {
  std::string name;
  OpType op = OpType::kIdentity;
  std::vector<int> inputs;   // tensor ids; -1 for an absent optional input
  std::vector<int> outputs;  // tensor ids
  NodeAttrs attrs;
};

}  // namespace tandem
