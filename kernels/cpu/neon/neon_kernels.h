// Own aarch64 NEON kernels for the cpu processor: an f32 GEMM (1x1 convolution and fully
// connected layers) and a 3x3 depthwise convolution, both NHWC with fused clamp.
// Plain C++ API: no NEON types cross it, so callers compile on any target. The *_neon
// kernels exist where kernels/cpu/neon/*.cc is compiled (aarch64 builds, and the cross test
// tests/neon/); the *_scalar functions take the same packed operands and are plain C++ (the
// portable fallback and a second oracle). Design notes: docs/neon.md.
#pragma once

#include <cstddef>

namespace tandem::neon {

// ---- GEMM: C[M x N] = clamp(A[M x K] * B[K x N] + bias) --------------------------------
// A is row-major with row stride lda (1x1 conv: pixels x in_channels, lda = input pixel
// stride); C is row-major with row stride ldc (ldc > N lets producers write into a slice
// of a concatenated buffer). B is packed once at prepare time.

constexpr int kGemmMr = 8;    // rows of A per register tile
constexpr int kGemmNr = 8;    // columns of B per register tile (and per packed panel)
constexpr int kGemmKc = 256;  // K block: an 8 x 256 A tile and a 256 x 8 B panel fit L1
constexpr int kGemmMc = 128;  // M block: a 128 x 256 packed A block (128 KiB) fits L2

// Floats needed for packed B of an N x K problem (N rounded up to kGemmNr).
size_t gemm_f32_packed_b_size(int n, int k);
// Packs weights stored as W[n][k] (ONNX conv [OC][IC][1][1], Gemm with transB=1).
void gemm_f32_pack_b_nk(int n, int k, const float* w, int ldw, float* packed);
// Packs weights stored as W[k][n] (Gemm with transB=0, MatMul).
void gemm_f32_pack_b_kn(int n, int k, const float* w, int ldw, float* packed);
// Floats of scratch the driver needs for packed A (one block of kGemmMc x kGemmKc).
size_t gemm_f32_workspace_size();

// bias may be nullptr (zeros). workspace may be nullptr (the call allocates: avoid in run()).
// Rows are independent: threads may split M and call this on disjoint row ranges, each with
// its own workspace.
void gemm_f32_neon(int m, int n, int k, const float* a, int lda, const float* packed_b, float* c,
                   int ldc, const float* bias, float out_min, float out_max,
                   float* workspace = nullptr);
void gemm_f32_scalar(int m, int n, int k, const float* a, int lda, const float* packed_b, float* c,
                     int ldc, const float* bias, float out_min, float out_max);

// ---- Depthwise 3x3 convolution, NHWC, stride 1 or 2, any padding ------------------------

struct DwConv3x3Params {
  int batch = 1;
  int in_h = 0, in_w = 0, channels = 0;
  int stride = 1;  // 1 or 2 (both axes)
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int in_pixel_stride = 0;   // floats between input pixels; 0 means channels
  int out_pixel_stride = 0;  // floats between output pixels; 0 means channels
  float out_min = -3.402823466e+38f, out_max = 3.402823466e+38f;
};

int dwconv_f32_3x3_out_h(const DwConv3x3Params& p);
int dwconv_f32_3x3_out_w(const DwConv3x3Params& p);
// Floats for packed weights: per group of 4 channels, 4 biases then 9 taps x 4 channels.
size_t dwconv_f32_3x3_packed_size(int channels);
// Packs ONNX depthwise weights w[c][1][3][3] and bias[c] (nullptr: zeros).
void dwconv_f32_3x3_pack(int channels, const float* w, const float* bias, float* packed);
// False (and nothing written) when the params are invalid (stride not 1/2, sizes < 1).
// Variant c8: 8 channels x 9 taps of weights stay in registers while the kernel walks an
// output row; then 4 channels, then a scalar 1-3 channel tail. Allocates nothing.
bool dwconv_f32_3x3_neon_c8(const DwConv3x3Params& p, const float* in, const float* packed,
                            float* out);
bool dwconv_f32_3x3_scalar(const DwConv3x3Params& p, const float* in, const float* packed,
                           float* out);

// ---- Selection hooks --------------------------------------------------------------------
// Whether the cpu processor should run this shape on the own NEON kernel instead of
// XNNPACK's. The rules come from instruction counts and design estimates, not timings:
// real-hardware measurement is pending (docs/neon.md). Always false off aarch64.

// GEMM: only where XNNPACK's 6x8/4x8 tiles waste work and ours does not, i.e. never yet by
// default; the rule below is the candidate to confirm on hardware: batch-1 fully connected
// layers (m == 1, streamed weights, our 1-row tile has no padded rows) with N a multiple of 8.
inline bool neon_prefer_gemm(int m, int n, int k) {
#if defined(__aarch64__)
  return m == 1 && n % kGemmNr == 0 && k >= 64;
#else
  (void)m, (void)n, (void)k;
  return false;
#endif
}

// Depthwise 3x3: our c8 variant keeps 8 channels x 9 taps of weights in registers per pixel;
// candidate rule: channels a multiple of 8 and at least 32 (MobileNet blocks).
inline bool neon_prefer_dwconv3x3(const DwConv3x3Params& p) {
#if defined(__aarch64__)
  return p.channels % 8 == 0 && p.channels >= 32 && (p.stride == 1 || p.stride == 2);
#else
  (void)p;
  return false;
#endif
}

}  // namespace tandem::neon
