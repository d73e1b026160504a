// The depthwise rows (dwconv_rows_impl.h) on AVX-512 (16-channel blocks).
#include <algorithm>
#include <cstdint>

#include "kernels/cpu/x86/dwconv_rows.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "kernels/cpu/x86/simd_target.h"

TANDEM_SIMD_BEGIN_AVX512
#include "kernels/cpu/x86/simd_avx512.h"

namespace tandem::cpu::avx512 {

#include "kernels/cpu/x86/dwconv_rows_impl.h"

void dwconv_row_from(const DwConvPacked& p, const float* const* rows, int64_t in_stride,
                     int64_t ox0, int64_t ox1, float* out, int64_t out_stride) {
  dw_row_from<Avx512F32>(p, rows, in_stride, ox0, ox1, out, out_stride);
}

}  // namespace tandem::cpu::avx512

TANDEM_SIMD_END
#endif
