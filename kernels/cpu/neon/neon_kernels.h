// Own aarch64 NEON kernels for the cpu processor: an f32 GEMM (1x1 convolution and fully
// connected layers) and a 3x3 depthwise convolution, both NHWC with fused clamp.
// Plain C++ API: no NEON types cross it, so callers compile on any target. The *_neon
// kernels exist where kernels/cpu/neon/*.cc is compiled (aarch64 builds, and the cross test
// tests/neon/); the *_scalar functions take the same packed operands and are plain C++ (a
// second oracle; they compile on any target that lists them). Design notes: docs/neon.md.
#pragma once

#include <cstddef>
#include <cstdint>

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
// Threads split the work by rows (a + m0*lda, c + m0*ldc, own workspace each) or by column
// panels: n0 a multiple of kGemmNr, packed_b + n0*k, c + n0, bias + n0 (batch-1 FC layers).
// m == 1 uses no workspace. C must not overlap A.
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

// ---- int8 GEMM (1x1 QConv, QGemm): C[M x N] int8 = requantize(sum_k (A - zx) W + bias) ---
// The reference's arithmetic (docs/int8.md), so results are bit-identical: exact int32
// sums of signed products (zx folded into the bias), then float(acc) * multiplier[n],
// clamp to [lo - zy, hi - zy], round half to even, + zy. A row-major int8 with row stride
// lda, C row-major with stride ldc; W packed once: per 16-column panel, per group of 4 k,
// 16 x 4 bytes (K padded to 4, N to 16, with zeros), as SDOT reads them.

constexpr int kQGemmNr = 16;  // columns per packed panel (4 int32x4 accumulators)
constexpr int kQGemmMr = 4;   // rows per register tile (16 accumulators of 32 registers)

struct QGemmS8Epilogue {
  const int32_t* bias = nullptr;      // N rounded up to 16: B[n] - zx * sum_k W[n][k]
  const float* multiplier = nullptr;  // N rounded up to 16: (sx * sw[n]) / sy
  int zy = 0, lo = -128, hi = 127;
};

// Bytes of packed W for N x K.
size_t qgemm_s8_packed_size(int n, int k);
// Packs W[n][k] (ONNX conv [OC][IC][1][1], Gemm with transB=1) and folds the activation
// zero point into bias_out (N rounded up to 16 entries; bias may be nullptr: zeros).
void qgemm_s8_pack(int n, int k, const int8_t* w, const int32_t* bias, int zx, int8_t* packed,
                   int32_t* bias_out);
// True where the CPU has the ARMv8.2 dot product instructions (SDOT); false off aarch64.
bool qgemm_s8_neon_available();
// On SDOT, 4 x 16 tiles; only where qgemm_s8_neon_available(). No allocation.
void qgemm_s8_neon(int m, int n, int k, const int8_t* a, int lda, const int8_t* packed, int8_t* c,
                   int ldc, const QGemmS8Epilogue& e);
void qgemm_s8_scalar(int m, int n, int k, const int8_t* a, int lda, const int8_t* packed, int8_t* c,
                     int ldc, const QGemmS8Epilogue& e);

// ---- Selection hooks --------------------------------------------------------------------
// Whether the cpu processor should run a shape on the own NEON kernel instead of XNNPACK's.
// kAuto applies the rules below; they come from instruction and load counts
// (bench/neon/neon_insn_count.py), NOT from timings: measurement on real ARM hardware is
// pending (docs/neon.md). kAlways/kNever let a processor option force the choice, which is
// how that measurement is meant to be done. Always false off aarch64 (no kernels there).
enum class NeonChoice { kAuto, kAlways, kNever };

// GEMM, auto: never yet. XNNPACK's hand-scheduled 6x8 assembly does the same work per FMA as
// our 8x8 intrinsics tile and batch-1 layers are memory-bound for both: no shape is
// predicted to win until hardware says otherwise.
inline bool neon_prefer_gemm(int m, int n, int k, NeonChoice choice = NeonChoice::kAuto) {
#if defined(__aarch64__)
  if (m < 1 || n < 1 || k < 0) return false;
  return choice == NeonChoice::kAlways;
#else
  (void)m, (void)n, (void)k, (void)choice;
  return false;
#endif
}

// Depthwise 3x3, auto: channels a multiple of 8 and >= 32, and the three input rows one
// output row reads fit in 256 KiB (our row walk revisits them once per 8 channels). There
// our kernel keeps weights in registers: 18 loads per 8 channels and pixel where XNNPACK's
// up8x9 reloads its 80 packed weights, 38 loads (predicted ~1.4x on 2-load-port cores).
inline bool neon_prefer_dwconv3x3(const DwConv3x3Params& p, NeonChoice choice = NeonChoice::kAuto) {
#if defined(__aarch64__)
  if (p.stride != 1 && p.stride != 2) return false;
  if (choice != NeonChoice::kAuto) return choice == NeonChoice::kAlways;
  const size_t ips = p.in_pixel_stride ? p.in_pixel_stride : p.channels;
  const size_t three_rows = 3 * static_cast<size_t>(p.in_w) * ips * sizeof(float);
  return p.channels % 8 == 0 && p.channels >= 32 && three_rows <= 256 * 1024;
#else
  (void)p, (void)choice;
  return false;
#endif
}

}  // namespace tandem::neon
