// The matrix multiply shared by Gemm/MatMul and 1x1 convolution: own tiled
// OpenCL kernel, or CLBlast when the processor asks for it.
#pragma once

#include <memory>
#include <string>

#include "kernels/opencl/op.h"

namespace tandem::ocl {

// Y[b](m,n) = act(alpha * sum_k A[b](m,k) B[b](k,n) + beta * C(m,n)); operands by element strides.
struct GemmArgs {
  int M = 0, N = 0, K = 0, batch = 1;
  DeviceTensor A;
  int a_sm = 0, a_sk = 0, a_sb = 0;
  DeviceTensor B;
  int b_sk = 0, b_sn = 0, b_sb = 0;
  DeviceTensor C;  // mem == nullptr: no C
  int c_sm = 0, c_sn = 0;
  float alpha = 1.0f, beta = 1.0f;
  DeviceTensor Y;
  int y_sm = 0, y_sb = 0;  // y_sn is 1
  float lo = 0, hi = 0;
};

Expected<std::unique_ptr<Op>> make_gemm(OpContext& ctx, const GemmArgs& a, const std::string& node);

}  // namespace tandem::ocl
