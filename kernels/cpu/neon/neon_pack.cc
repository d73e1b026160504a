// Weight packing and shape helpers shared by the NEON kernels and their scalar twins.
// Plain C++: packing runs once at prepare time, so it need not be vectorised.
#include "kernels/cpu/neon/neon_kernels.h"

namespace tandem::neon {

namespace {
int round_up(int v, int m) {
  return (v + m - 1) / m * m;
}
}  // namespace

size_t gemm_f32_packed_b_size(int n, int k) {
  if (n <= 0 || k <= 0) return 0;
  return static_cast<size_t>(round_up(n, kGemmNr)) * static_cast<size_t>(k);
}

// Panel p holds columns [p*Nr, p*Nr+Nr) as K rows of Nr floats, zero past N, so the
// micro-kernel reads one contiguous stream per panel.
void gemm_f32_pack_b_nk(int n, int k, const float* w, int ldw, float* packed) {
  for (int n0 = 0; n0 < n; n0 += kGemmNr) {
    float* panel = packed + static_cast<size_t>(n0) * k;
    for (int kk = 0; kk < k; ++kk) {
      for (int j = 0; j < kGemmNr; ++j) {
        const int col = n0 + j;
        panel[kk * kGemmNr + j] = col < n ? w[static_cast<size_t>(col) * ldw + kk] : 0.0f;
      }
    }
  }
}

void gemm_f32_pack_b_kn(int n, int k, const float* w, int ldw, float* packed) {
  for (int n0 = 0; n0 < n; n0 += kGemmNr) {
    float* panel = packed + static_cast<size_t>(n0) * k;
    for (int kk = 0; kk < k; ++kk) {
      for (int j = 0; j < kGemmNr; ++j) {
        const int col = n0 + j;
        panel[kk * kGemmNr + j] = col < n ? w[static_cast<size_t>(kk) * ldw + col] : 0.0f;
      }
    }
  }
}

size_t gemm_f32_workspace_size() {
  return static_cast<size_t>(kGemmMc) * kGemmKc;
}

int dwconv_f32_3x3_out_h(const DwConv3x3Params& p) {
  if (p.stride < 1) return 0;
  const int span = p.in_h + p.pad_top + p.pad_bottom - 3;
  return span < 0 ? 0 : span / p.stride + 1;
}

int dwconv_f32_3x3_out_w(const DwConv3x3Params& p) {
  if (p.stride < 1) return 0;
  const int span = p.in_w + p.pad_left + p.pad_right - 3;
  return span < 0 ? 0 : span / p.stride + 1;
}

size_t dwconv_f32_3x3_packed_size(int channels) {
  return channels <= 0 ? 0 : static_cast<size_t>(round_up(channels, 4)) / 4 * 40;
}

// Group g of 4 channels: 4 biases, then taps (ky*3+kx) of 4 channels each; zero past C.
void dwconv_f32_3x3_pack(int channels, const float* w, const float* bias, float* packed) {
  for (int c0 = 0; c0 < channels; c0 += 4) {
    float* g = packed + static_cast<size_t>(c0) / 4 * 40;
    for (int j = 0; j < 4; ++j) {
      const int c = c0 + j;
      const bool in = c < channels;
      g[j] = in && bias ? bias[c] : 0.0f;
      for (int t = 0; t < 9; ++t) g[4 + t * 4 + j] = in ? w[static_cast<size_t>(c) * 9 + t] : 0.0f;
    }
  }
}

}  // namespace tandem::neon
