// Stride-1 dense convolutions (1x1 included) through cl/conv_igemm.cl.
#pragma once

#include "kernels/opencl/op.h"

namespace tandem::ocl {

// The op for `n` when it is a stride-1, dilation-1, ungrouped convolution with
// constant weights and output channels in multiples of 8; null otherwise.
Expected<std::unique_ptr<Op>> make_conv_igemm_op(OpContext& ctx, const Node& n);

}  // namespace tandem::ocl
