// Dense convolutions (stride 1 or 2, any kernel size, dilation) through cl/conv_igemm.cl.
#pragma once

#include "kernels/opencl/op.h"

namespace tandem::ocl {

// The op for `n` when it is an ungrouped stride-1 or stride-2 convolution with
// constant weights and output channels in multiples of 8; null otherwise.
Expected<std::unique_ptr<Op>> make_conv_igemm_op(OpContext& ctx, const Node& n);

}  // namespace tandem::ocl
