// The row loop of the own GEMMs' register tiles: rows [r0, r1) as full tiles of kMR
// rows, then one tile of the 1..kMR-1 left, each tile height a compile-time constant
// (the micro-kernels are templates on it). f(std::integral_constant<int, MR>, row).
#pragma once

#include <cstdint>
#include <type_traits>

namespace tandem::cpu {

template <int MR, class F>
inline void last_row_tile(int64_t rest, int64_t r, F& f) {
  if constexpr (MR > 0) {
    if (rest == MR) return f(std::integral_constant<int, MR>{}, r);
    last_row_tile<MR - 1>(rest, r, f);
  }
}

template <int kMR, class F>
inline void for_row_tiles(int64_t r0, int64_t r1, F&& f) {
  int64_t r = r0;
  for (; r + kMR <= r1; r += kMR) f(std::integral_constant<int, kMR>{}, r);
  last_row_tile<kMR - 1>(r1 - r, r, f);
}

}  // namespace tandem::cpu
