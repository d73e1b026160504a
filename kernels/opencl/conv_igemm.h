// Dense convolutions (stride 1 or 2, any kernel size, dilation) through cl/conv_igemm.cl.
#pragma once

#include "kernels/opencl/op.h"

namespace tandem::ocl {

// The op for `n` when it is an ungrouped stride-1 or stride-2 convolution with
// constant weights and output channels in multiples of 8; null otherwise.
Expected<std::unique_ptr<Op>> make_conv_igemm_op(OpContext& ctx, const Node& n);

// One launch of conv_igemm_m8x2: y[n] (M x OH*OW) = w[n] (M x K, [M/8][K][8]) *
// taps of x[n] at wide index q + off[k] (also the GEMM of Winograd's 16 products).
struct IgemmArgs {
  DeviceTensor x, off, w, bias, y;
  int batch_stride = 0, limit = 0, reach = 0, K = 0, Ws = 0, w_bstride = 0;
  int N = 1, M = 0, OH = 0, OW = 0;
  float lo = 0, hi = 0;
};
Expected<Launch> make_igemm_launch(OpContext& ctx, const IgemmArgs& a, const std::string& node);

}  // namespace tandem::ocl
