// DwConvRows: weight packing for the level's vector width and the dispatch to
// that level's rows (dwconv_avx512.cc, dwconv_avx2.cc).
#include "kernels/cpu/x86/dwconv_rows.h"

namespace tandem::cpu {

#if defined(__x86_64__)

void DwConvRows::init(const ConvGeometry& q, const float* w, const float* bias, float lo, float hi,
                      int64_t in_stride, CpuIsa isa) {
  isa_ = isa;
  const int64_t lanes = isa == CpuIsa::kAvx512 ? 16 : 8;
  const int taps = int(q.kh * q.kw);
  zeros_.assign(size_t(q.w * in_stride + 16), 0.0f);
  p_.q = q;
  p_.lo = lo;
  p_.hi = hi;
  p_.blocks = (q.c + lanes - 1) / lanes;
  const int64_t per_block = (taps + 1) * lanes;
  packed_.assign(size_t(p_.blocks * per_block), 0.0f);
  for (int64_t c = 0; c < q.c; ++c) {
    float* blk = packed_.data() + (c / lanes) * per_block + c % lanes;
    for (int t = 0; t < taps; ++t) blk[t * lanes] = w[c * taps + t];
    blk[taps * lanes] = bias ? bias[c] : 0.0f;
  }
  p_.w = packed_.data();
  p_.zeros = zeros_.data();
}

void DwConvRows::row(const float* x, int64_t in_stride, int64_t img, int64_t oy, int64_t ox0,
                     int64_t ox1, float* out, int64_t out_stride) const {
  const ConvGeometry& q = p_.q;
  const int64_t iy0 = oy * q.sh - q.pt;
  // Rows above or below the image read zeros, so border rows take the same paths.
  const float* rows[kMaxK];
  for (int ky = 0; ky < q.kh; ++ky) {
    const int64_t iy = iy0 + ky;
    rows[ky] = iy < 0 || iy >= q.h ? zeros_.data() : x + ((img * q.h + iy) * q.w) * in_stride;
  }
  row_from(rows, in_stride, ox0, ox1, out, out_stride);
}

void DwConvRows::row_from(const float* const* rows, int64_t in_stride, int64_t ox0, int64_t ox1,
                          float* out, int64_t out_stride) const {
  if (isa_ == CpuIsa::kAvx512)
    avx512::dwconv_row_from(p_, rows, in_stride, ox0, ox1, out, out_stride);
  else
    avx2::dwconv_row_from(p_, rows, in_stride, ox0, ox1, out, out_stride);
}

#endif

}  // namespace tandem::cpu
