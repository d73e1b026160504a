// The 2-D window of a MaxPool/AveragePool (float or int8) for XNNPACK's NHWC
// pooling: padding per side, with ceil_mode's extra output row/column turned
// into extra bottom/right padding (which XNNPACK leaves out of max and mean),
// so XNNPACK's output size is the graph's.
#pragma once

#include <algorithm>
#include <cstdint>

#include "graph/node.h"
#include "kernels/cpu/compiler/layout.h"

namespace tandem::cpu {

struct PoolWindow {
  int64_t top = 0, left = 0, bottom = 0, right = 0, kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
};

inline PoolWindow pool_window(const Node& n, const CpuTensor& x, const CpuTensor& y) {
  const NodeAttrs& at = n.attrs;
  PoolWindow w;
  w.kh = at.kernel_shape[0];
  w.kw = at.kernel_shape[1];
  if (at.strides.size() == 2) w.sh = at.strides[0], w.sw = at.strides[1];
  if (at.dilations.size() == 2) w.dh = at.dilations[0], w.dw = at.dilations[1];
  if (at.pads.size() == 4) {
    w.top = at.pads[0];
    w.left = at.pads[1];
    w.bottom = at.pads[2];
    w.right = at.pads[3];
  }
  w.bottom = std::max(w.bottom, (y.h() - 1) * w.sh + (w.kh - 1) * w.dh + 1 - x.h() - w.top);
  w.right = std::max(w.right, (y.w() - 1) * w.sw + (w.kw - 1) * w.dw + 1 - x.w() - w.left);
  return w;
}

}  // namespace tandem::cpu
