// Which 4-D tensors are images (stored NHWC inside a cpu range) and which keep
// their logical row-major layout. A CNN's 4-D activations are images; a
// transformer's 4-D activations ([B, H, W, C] in Swin, [B, heads, N, N] in
// attention) are not: their last logical axis is the one MatMul, LayerNorm and
// Softmax work along, and NHWC storage would move it.
//
// Rule: every node except the layout-changing ones (Transpose, Reshape, Flatten)
// ties its 4-D activations (inputs and outputs, not constants) into one class;
// a class is logical when a MatMul, LayerNormalization, Gather or Softmax
// reads or writes one of its tensors and no image op (Conv, pooling,
// BatchNormalization, Resize and their int8 forms) does; every other class is
// an image (NHWC), as all 4-D activations were before.
#pragma once

#include <vector>

#include "graph/graph.h"

namespace tandem::cpu {

// image[t] for every tensor of g (false for anything not a 4-D activation).
std::vector<bool> image_layout_tensors(const Graph& g);

}  // namespace tandem::cpu
