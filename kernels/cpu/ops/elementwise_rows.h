// How the own elementwise kernels walk a tensor: as runs of floats. A contiguous
// tensor is cut into runs of kRun floats (one long vectorized loop per task);
// an NHWC tensor with pixel strides is one run of C floats per pixel, several
// pixels per task.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/cpu/compiler/cpu_kernel.h"

namespace tandem::cpu {

struct ElementwiseRows {
  static constexpr int64_t kRun = 4096;  // floats per task: 16 KiB per operand
  int64_t rows = 0, length = 0, total = 0, in_stride = 0, out_stride = 0, per_task = 1;

  static ElementwiseRows of(const CpuTensor& x, const CpuTensor& y) {
    ElementwiseRows r;
    if (x.contiguous() && y.contiguous()) {
      r.total = x.elements();
      r.length = r.in_stride = r.out_stride = kRun;
      r.rows = (r.total + kRun - 1) / kRun;
    } else {  // NHWC with pixel strides
      r.length = x.c();
      r.rows = x.n() * x.h() * x.w();
      r.total = r.rows * r.length;
      r.in_stride = x.pixel_stride;
      r.out_stride = y.pixel_stride;
      r.per_task = std::max<int64_t>(1, kRun / std::max<int64_t>(1, r.length));
    }
    return r;
  }
  size_t tasks() const { return size_t((rows + per_task - 1) / per_task); }
  int64_t first_row(size_t task) const { return int64_t(task) * per_task; }
  int64_t end_row(size_t task) const { return std::min(rows, first_row(task) + per_task); }
  // Floats in row r (the last run of a contiguous tensor is shorter).
  int64_t row_length(int64_t r) const { return std::min(length, total - r * length); }
};

}  // namespace tandem::cpu
