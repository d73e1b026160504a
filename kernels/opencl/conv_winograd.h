// 3x3 stride-1 convolutions by Winograd F(2x2, 3x3) (cl/winograd.cl + the
// implicit-GEMM kernel for the 16 products).
#pragma once

#include "kernels/opencl/op.h"

namespace tandem::ocl {

// The op for `n` when it is an ungrouped 3x3 stride-1 undilated batch-1
// convolution with constant weights, C and M >= `min_channels`, M % 8 == 0;
// null otherwise.
Expected<std::unique_ptr<Op>> make_conv_winograd_op(OpContext& ctx, const Node& n);

}  // namespace tandem::ocl
